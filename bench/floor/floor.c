/* The kernel's floor: the cheapest plaintext HTTP/1.1 responder we know how
 * to write, so that RESULTS.md shows how much of a server's CPU per request
 * is the kernel's TCP/loopback work that every server pays, and how much is
 * the server's own.  Not a server: it answers every request (wrk's GET,
 * "\r\n\r\n"-terminated, no body) with the hello app's response and nothing
 * else, and does no parsing beyond finding the end of each request and a
 * "Connection: close" header in the segment that carries it (wrk sends a
 * request per segment), which it answers in kind before closing.
 *
 *   floor epoll PORT    level-triggered epoll, one recv per readiness, one
 *                       send per batch of requests read, TCP_DEFER_ACCEPT and
 *                       a connection read at once after accept, as fastwsgi's
 *                       loop
 *   floor uring PORT    io_uring (built when liburing-dev is installed):
 *                       multishot accept, multishot recv into a ring of
 *                       provided buffers, sends queued and submitted with the
 *                       wait, one io_uring_enter per loop turn
 *
 * Built by bench/setup_peers.sh: gcc -O2 -o floor floor.c [-DWITH_URING -luring];
 * `floor modes` prints the modes this build has.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifdef WITH_URING
#include <liburing.h>
#endif

#define MAXFD 65536
static int matched[MAXFD];   /* bytes of "\r\n\r\n" matched at the end of the last read */
static char *block;          /* RESPONSES copies of the response, back to back */
static size_t rlen;
static char closing[512];    /* the response with "Connection: close" */
static size_t clen;
#define RESPONSES 256

static void make_response(void) {
    char date[64], one[512];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime(&now));
    rlen = (size_t)snprintf(one, sizeof one,
                            "HTTP/1.1 200 OK\r\nServer: floor\r\nDate: %s\r\n"
                            "Content-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!",
                            date);
    clen = (size_t)snprintf(closing, sizeof closing,
                            "HTTP/1.1 200 OK\r\nServer: floor\r\nDate: %s\r\nConnection: close\r\n"
                            "Content-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!",
                            date);
    block = malloc(rlen * RESPONSES);
    for (int i = 0; i < RESPONSES; i++) memcpy(block + i * rlen, one, rlen);
}

/* Requests that end in p[0..n) (continuing the match from the last read). */
static int count_requests(int fd, const char *p, size_t n) {
    static const char end[] = "\r\n\r\n";
    int k = matched[fd], count = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == end[k]) {
            if (++k == 4) { count++; k = 0; }
        } else {
            k = p[i] == '\r';
        }
    }
    matched[fd] = k;
    return count;
}

static int wants_close(const char *p, size_t n) {
    static const char hdr[] = "\nconnection: close\r";
    size_t m = sizeof hdr - 1;
    for (size_t i = 0; i + m <= n; i++) {
        size_t j = 0;
        while (j < m && (p[i + j] | (hdr[j] >= 'a' ? 0x20 : 0)) == hdr[j]) j++;
        if (j == m) return 1;
    }
    return 0;
}

static int listener(int port) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  /* inherited */
    setsockopt(s, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 4096) < 0) {
        perror("floor: bind/listen");
        exit(1);
    }
    return s;
}

/* Read and answer what fd has: 1 if it stays open, 0 if it was closed. */
static int serve_readable(int fd) {
    static char buf[65536];
    ssize_t r = recv(fd, buf, sizeof buf, 0);
    if (r <= 0) {
        if (r < 0 && errno == EAGAIN) return 1;
        close(fd);
        return 0;
    }
    int k = count_requests(fd, buf, (size_t)r);
    if (k > RESPONSES) k = RESPONSES;
    if (k && wants_close(buf, (size_t)r)) {
        send(fd, closing, clen, MSG_NOSIGNAL);
        close(fd);
        return 0;
    }
    if (k) send(fd, block, k * rlen, MSG_NOSIGNAL);
    return 1;
}

static void run_epoll(int l) {
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = l}, evs[256];
    int ep = epoll_create1(0);
    epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd, c;
            if (fd != l) {
                serve_readable(fd);
                continue;
            }
            while ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                if (c >= MAXFD) { close(c); continue; }
                matched[c] = 0;
                /* TCP_DEFER_ACCEPT: the request is there; a connection that
                 * closes after it never joins the epoll set. */
                if (serve_readable(c)) {
                    ev.data.fd = c;
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
                }
            }
        }
    }
}

#ifdef WITH_URING
#define NBUF 512  /* 2 MiB of receive buffers: the ring is FIFO, so all of them cycle through the cache */
#define BUFSIZE 4096
enum { OP_ACCEPT = 1, OP_RECV, OP_SEND, OP_SEND_LAST };
static struct io_uring ring;

static struct io_uring_sqe *sqe_for(int op, int fd) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    if (!sqe) {
        io_uring_submit(&ring);
        sqe = io_uring_get_sqe(&ring);
    }
    io_uring_sqe_set_data64(sqe, ((uint64_t)op << 32) | (uint32_t)fd);
    return sqe;
}

static void arm_recv(int fd) {
    struct io_uring_sqe *sqe = sqe_for(OP_RECV, fd);
    io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
}

static void run_uring(int l) {
    struct io_uring_params params = {.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN};
    struct io_uring_buf_ring *br;
    char *bufs = malloc((size_t)NBUF * BUFSIZE);
    if (io_uring_queue_init_params(4096, &ring, &params) < 0 ||
        posix_memalign((void **)&br, 4096, NBUF * sizeof(struct io_uring_buf)) != 0) {
        fprintf(stderr, "floor: io_uring unavailable\n");
        exit(1);
    }
    struct io_uring_buf_reg reg = {.ring_addr = (uintptr_t)br, .ring_entries = NBUF, .bgid = 0};
    if (io_uring_register_buf_ring(&ring, &reg, 0) != 0) {
        fprintf(stderr, "floor: cannot register a buffer ring\n");
        exit(1);
    }
    io_uring_buf_ring_init(br);
    for (int i = 0; i < NBUF; i++)
        io_uring_buf_ring_add(br, bufs + (size_t)i * BUFSIZE, BUFSIZE, i, io_uring_buf_ring_mask(NBUF), i);
    io_uring_buf_ring_advance(br, NBUF);
    io_uring_prep_multishot_accept(sqe_for(OP_ACCEPT, l), l, NULL, NULL, SOCK_NONBLOCK);
    for (;;) {
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_submit_and_wait(&ring, 1);
        io_uring_for_each_cqe(&ring, head, cqe) {
            int op = (int)(cqe->user_data >> 32), fd = (int)(uint32_t)cqe->user_data, res = cqe->res;
            int more = (cqe->flags & IORING_CQE_F_MORE) != 0;
            seen++;
            if (op == OP_ACCEPT) {
                if (res >= 0 && res < MAXFD) {
                    matched[res] = 0;
                    arm_recv(res);
                } else if (res >= 0) {
                    close(res);
                }
                if (!more) io_uring_prep_multishot_accept(sqe_for(OP_ACCEPT, l), l, NULL, NULL, SOCK_NONBLOCK);
            } else if (op == OP_RECV) {
                if (res == -ENOBUFS) {
                    if (!more) arm_recv(fd);
                } else if (res <= 0) {
                    if (!more) close(fd);
                } else {
                    int bid = (int)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
                    char *data = bufs + (size_t)bid * BUFSIZE;
                    int k = count_requests(fd, data, (size_t)res);
                    int last = k && wants_close(data, (size_t)res);
                    if (k > RESPONSES) k = RESPONSES;
                    if (last)
                        io_uring_prep_send(sqe_for(OP_SEND_LAST, fd), fd, closing, clen, MSG_NOSIGNAL);
                    else if (k)
                        io_uring_prep_send(sqe_for(OP_SEND, fd), fd, block, k * rlen, MSG_NOSIGNAL);
                    io_uring_buf_ring_add(br, data, BUFSIZE, bid, io_uring_buf_ring_mask(NBUF), 0);
                    io_uring_buf_ring_advance(br, 1);
                    if (!more) arm_recv(fd);
                }
            } else if (op == OP_SEND_LAST) {
                /* The client closes in turn; the multishot recv then ends with 0. */
                shutdown(fd, SHUT_WR);
            }
        }
        io_uring_cq_advance(&ring, seen);
    }
}
#endif

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "modes") == 0) {
#ifdef WITH_URING
        puts("epoll uring");
#else
        puts("epoll");
#endif
        return 0;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: floor epoll|uring PORT\n");
        return 2;
    }
    make_response();
    int l = listener(atoi(argv[2]));
    if (strcmp(argv[1], "epoll") == 0) run_epoll(l);
#ifdef WITH_URING
    if (strcmp(argv[1], "uring") == 0) run_uring(l);
#endif
    fprintf(stderr, "floor: mode %s is not built\n", argv[1]);
    return 2;
}
