/* TLS for the worker's loop over OpenSSL's C API: one context per listener
 * set, one session per connection, all non-blocking.  No Python here.
 *
 * Return contract (as the rest of csrc/, stated once):
 *   >= 0  done (a byte count for read/write; 0 from read is the end of the
 *         stream: close_notify, or a ragged EOF when suppress_ragged_eofs)
 *   -1    failed: fw_tls_error() says why; the connection is to be closed
 *   -2    would block: fw_tls_want() says on what (FW_TLS_WANT_READ or
 *         FW_TLS_WANT_WRITE), which is not always the call's own direction
 *         (a read may have to send during a handshake, a write may have to
 *         read) — wait for that readiness, then repeat the same call.
 *
 * After a read, OpenSSL may hold bytes it has taken from the socket but not
 * yet returned (a whole record read ahead): fw_tls_pending() is then true
 * and the socket may never become readable again for them, so the caller
 * reads again without waiting for epoll.
 */
#ifndef FW_TLS_H
#define FW_TLS_H

#include <stddef.h>
#include <sys/types.h>

enum {
    FW_TLS_WANT_READ = 1,
    FW_TLS_WANT_WRITE = 2,
};

/* Client certificates, gunicorn's cert_reqs (ssl.CERT_NONE/OPTIONAL/REQUIRED). */
enum {
    FW_TLS_CERT_NONE = 0,
    FW_TLS_CERT_OPTIONAL = 1,
    FW_TLS_CERT_REQUIRED = 2,
};

typedef struct {
    const char *certfile;   /* PEM chain; holds the key too when keyfile is NULL */
    const char *keyfile;    /* PEM private key, or NULL */
    const char *password;   /* passphrase of an encrypted key, or NULL */
    const char *ca_certs;   /* PEM CAs that sign client certificates, or NULL */
    const char *ciphers;    /* OpenSSL cipher list (TLS <= 1.2), or NULL: Python's default */
    int cert_reqs;          /* FW_TLS_CERT_* */
    int suppress_ragged_eofs;
} fw_tls_config_t;

typedef struct fw_tls_ctx fw_tls_ctx_t;
typedef struct fw_tls fw_tls_t;

/* A context as gunicorn's default_ssl_context_factory builds it with
 * Python's ssl module (create_default_context(Purpose.CLIENT_AUTH) +
 * load_cert_chain + verify_mode + set_ciphers), plus ALPN http/1.1 and
 * renegotiation refused.  NULL on failure, with one line in err. */
fw_tls_ctx_t *fw_tls_ctx_new(const fw_tls_config_t *cfg, char *err, size_t errlen);

/* A context over an SSL_CTX built elsewhere (the SSL_CTX of the Python
 * ssl.SSLContext that an ssl_context hook returned; same libssl in the
 * process): takes a reference to it, and adds ALPN http/1.1 and renegotiation
 * refused.  NULL on failure, with one line in err. */
fw_tls_ctx_t *fw_tls_ctx_adopt(void *ssl_ctx, int suppress_ragged_eofs, char *err, size_t errlen);

/* What a context says about itself, for checks against the Python object. */
int fw_tls_ctx_verify_mode(const fw_tls_ctx_t *c);  /* FW_TLS_CERT_* */
unsigned long long fw_tls_ctx_options(const fw_tls_ctx_t *c);
void fw_tls_ctx_free(fw_tls_ctx_t *c);

/* The version of the libssl this module runs on (OpenSSL_version_num()). */
unsigned long fw_tls_library_version(void);
/* The address this module's SSL_CTX_new resolves to, to tell whether another
 * module (Python's _ssl) shares the same libssl. */
void *fw_tls_library_marker(void);

/* One server-side session on connected socket fd.  NULL when out of memory. */
fw_tls_t *fw_tls_new(fw_tls_ctx_t *c, int fd);
void fw_tls_free(fw_tls_t *t);

/* Progress the handshake: 0 done, -1, -2 (see above).  fw_tls_read() makes
 * the same progress by itself; this is for starting it at accept. */
int fw_tls_handshake(fw_tls_t *t);
int fw_tls_handshake_done(const fw_tls_t *t);

ssize_t fw_tls_read(fw_tls_t *t, char *buf, size_t n);
/* Writes up to n bytes (at most a few records); a repeated call after -2
 * must pass the same bytes (the buffer may have moved and grown). */
ssize_t fw_tls_write(fw_tls_t *t, const char *buf, size_t n);
int fw_tls_pending(const fw_tls_t *t);

/* Send close_notify once (graceful close); never waits for the peer's.
 * 0 sent or nothing to do, -2 the socket is full (give up or retry), -1. */
int fw_tls_shutdown(fw_tls_t *t);

int fw_tls_want(const fw_tls_t *t);
/* Why the last call failed (static or per-session storage; never NULL). */
const char *fw_tls_error(const fw_tls_t *t);

/* The client certificate, after the handshake: 1 verified and present, 0 none.
 * Its subject and issuer as RFC 2253 strings (truncated to n). */
int fw_tls_peer_subject(fw_tls_t *t, char *subject, size_t n, char *issuer, size_t m);
/* The negotiated protocol ("TLSv1.3") and cipher ("TLS_AES_256_GCM_SHA384"). */
const char *fw_tls_version(const fw_tls_t *t);
const char *fw_tls_cipher(const fw_tls_t *t);

#endif
