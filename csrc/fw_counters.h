/* A worker's request counters, in its slot of the shared memory the master
 * maps before fork (fastwsgi/workers/counters.py).
 *
 * Theory of operation: exactly one process writes a slot (its worker), with
 * plain stores, holding the GIL, so a read-modify-write needs no atomic
 * instruction and no lock; the master only reads.  Every field is an aligned
 * uint64_t, which x86-64 and arm64 load and store whole: a reader sees each
 * value either before or after an update, never half of one.  Fields are
 * independent, so the master may see `requests` one ahead of `responses`;
 * an exposition scraped mid-request is off by that request at most.
 *
 * The fields are declared once, in FW_COUNTER_FIELDS: the struct and the
 * table the Python side reads its layout from (fw_counter_fields) are both
 * generated from it, so the two cannot drift apart.  Gauges (in_flight,
 * connections_open, threads_busy, threads) are also plain values.
 */
#ifndef FW_COUNTERS_H
#define FW_COUNTERS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Latency histogram: fixed, log-spaced upper bounds (1-2.5-5 per decade, as
 * Prometheus' client libraries default to, from 100 us to 60 s), inclusive as
 * Prometheus' `le`; one more bucket counts what is above the last bound. */
#define FW_LATENCY_BOUNDS 18
static const uint64_t fw_latency_bounds_ns[FW_LATENCY_BOUNDS] = {
    100000, 250000, 500000,
    1000000, 2500000, 5000000,
    10000000, 25000000, 50000000,
    100000000, 250000000, 500000000,
    1000000000, 2500000000ULL, 5000000000ULL,
    10000000000ULL, 30000000000ULL, 60000000000ULL,
};

/* Requests refused before the app saw them, by the status we answered:
 * these statuses, then one count for any other. */
#define FW_REFUSED_KINDS 7
static const int fw_refused_status[FW_REFUSED_KINDS - 1] = {400, 413, 414, 431, 501, 505};

/* S(name): one counter; A(name, n): n of them. */
/* S(name): one counter; A(name, n): n of them.  The fields every request
 * touches come first, so that counting one touches three cache lines: the
 * scalars, its latency bucket, its status. */
#define FW_COUNTER_FIELDS(S, A)                                              \
    S(requests)          /* requests handed to the app */                   \
    S(sent_bytes)        /* bytes the sockets took: heads, bodies, refusals */ \
    S(in_flight)         /* gauge: requests between parse and response end */ \
    S(app_ns)            /* time inside the app call (and its first body) */ \
    S(latency_ns)        /* sum of request latencies: parse end -> response end */ \
    S(keepalive_reuse)   /* requests after the first on their connection */  \
    S(connections_open)  /* gauge */                                         \
    S(connections)       /* connections accepted */                         \
    S(threads_busy)      /* gauge: --threads pool threads in an app call */  \
    S(threads)           /* the pool's size (1 without --threads) */       \
    A(latency, FW_LATENCY_BOUNDS + 1) /* histogram, not cumulative */        \
    A(refused, FW_REFUSED_KINDS) /* by fw_refused_status, then other */     \
    A(log, 4)            /* error-log lines: critical, error, warning, exception \
                            (written by the worker's Python logging, not the engine) */ \
    A(status, 501)       /* responses sent, by status: [code - 99] for 100..599, [0] other */

#define FW_CF_SCALAR(name) uint64_t name;
#define FW_CF_ARRAY(name, n) uint64_t name[n];
typedef struct fw_counters {
    FW_COUNTER_FIELDS(FW_CF_SCALAR, FW_CF_ARRAY)
} fw_counters_t;
#undef FW_CF_SCALAR
#undef FW_CF_ARRAY

typedef struct {
    const char *name;
    size_t offset;
    size_t count;
} fw_counter_field_t;

#define FW_CF_SCALAR(name) {#name, offsetof(fw_counters_t, name), 1},
#define FW_CF_ARRAY(name, n) {#name, offsetof(fw_counters_t, name), n},
static const fw_counter_field_t fw_counter_fields[] = {
    FW_COUNTER_FIELDS(FW_CF_SCALAR, FW_CF_ARRAY)
};
#undef FW_CF_SCALAR
#undef FW_CF_ARRAY
#define FW_COUNTER_NFIELDS (sizeof(fw_counter_fields) / sizeof(fw_counter_fields[0]))

static inline uint64_t fw_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A request's latency into the histogram.  Linear from the smallest bucket:
 * a fast request, the common one, is placed after one comparison. */
static inline void fw_count_latency(fw_counters_t *c, uint64_t ns)
{
    unsigned i = 0;
    while (i < FW_LATENCY_BOUNDS && ns > fw_latency_bounds_ns[i])
        i++;
    c->latency[i]++;
    c->latency_ns += ns;
}

/* Every response, the app's and the refusals: gunicorn's statsd names
 * count each status code (gunicorn.request.status.NNN), so codes are kept
 * whole rather than by class; the master derives the classes. */
static inline void fw_count_response(fw_counters_t *c, int status)
{
    c->status[status >= 100 && status <= 599 ? status - 99 : 0]++;
}

static inline void fw_count_refused(fw_counters_t *c, int status)
{
    unsigned kind = 0;
    while (kind < FW_REFUSED_KINDS - 1 && fw_refused_status[kind] != status)
        kind++;
    c->refused[kind]++;
    fw_count_response(c, status);
}

#endif
