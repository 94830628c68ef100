/* TLS sessions over OpenSSL for the worker's loop (see fw_tls.h).
 *
 * The context matches, setting for setting, what gunicorn's
 * default_ssl_context_factory gets from Python 3.10+'s ssl module:
 * create_default_context(Purpose.CLIENT_AUTH) is SSLContext(PROTOCOL_TLS_SERVER)
 * with the options below, TLS 1.2 at least, Python's cipher string and
 * X509_V_FLAG_TRUSTED_FIRST; then load_verify_locations(ca_certs),
 * load_cert_chain(certfile, keyfile), verify_mode = cert_reqs and
 * set_ciphers(ciphers).  A unit test compares the two contexts.
 *
 * Sessions use OpenSSL's socket BIO on the connection's fd (OpenSSL makes the
 * read/write syscalls itself), read-ahead so that one read(2) takes every
 * record the kernel holds, partial writes so that a write returns as soon as
 * a record is out, and released buffers so that an idle connection holds no
 * 34 KiB of record buffers (as nginx does).
 */
#include "fw_tls.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* Python's PY_SSL_DEFAULT_CIPHER_STRING (Modules/_ssl.c, 3.10 and later). */
#define PY_DEFAULT_CIPHERS \
    "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM"

#define SESSION_ID_CONTEXT "fastwsgi"

#ifndef SSL_OP_NO_RENEGOTIATION
#define SSL_OP_NO_RENEGOTIATION 0
#endif
#ifndef SSL_OP_NO_CLIENT_RENEGOTIATION
#define SSL_OP_NO_CLIENT_RENEGOTIATION 0
#endif
#ifndef SSL_OP_LEGACY_SERVER_CONNECT
#define SSL_OP_LEGACY_SERVER_CONNECT 0
#endif

struct fw_tls_ctx {
    SSL_CTX *ctx;
    int suppress_ragged_eofs;
};

struct fw_tls {
    SSL *ssl;
    int want;
    int failed;        /* a fatal error: no close_notify may follow */
    int ragged_ok;
    char err[160];
};

/* ---- errors ------------------------------------------------------------ */

/* OpenSSL's reason for the newest queued error, or `fallback`. */
static void last_error(char *out, size_t n, const char *fallback) {
    unsigned long e = ERR_peek_last_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;
    if (reason != NULL)
        snprintf(out, n, "%s", reason);
    else if (e)
        ERR_error_string_n(e, out, n);
    else
        snprintf(out, n, "%s", fallback);
    ERR_clear_error();
}

static void say(char *err, size_t errlen, const char *what, const char *path) {
    char reason[160];
    last_error(reason, sizeof(reason), "unknown error");
    if (path != NULL)
        snprintf(err, errlen, "%s %s: %s", what, path, reason);
    else
        snprintf(err, errlen, "%s: %s", what, reason);
}

/* The same, with the system's reason when the file cannot be read at all. */
static void say_file(char *err, size_t errlen, const char *what, const char *path) {
    if (access(path, R_OK) != 0) {
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
        ERR_clear_error();
        return;
    }
    say(err, errlen, what, path);
}

/* ---- context ------------------------------------------------------------ */

/* ALPN (RFC 7301): we speak HTTP/1.1 only.  A client offering nothing we
 * speak gets no ALPN answer and may go on without it (Python's ssl does the
 * same with set_alpn_protocols). */
static int select_alpn(SSL *s, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg) {
    static const unsigned char ours[] = "\x08http/1.1";
    unsigned char *chosen = NULL;
    (void)s;
    (void)arg;
    if (SSL_select_next_proto(&chosen, outlen, ours, sizeof(ours) - 1, in, inlen)
            != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

/* Never ask a terminal for a passphrase: an encrypted key without
 * keyfile_password fails to load, with OpenSSL's reason. */
static int give_password(char *buf, int size, int rwflag, void *userdata) {
    const char *password = userdata;
    size_t n;
    (void)rwflag;
    if (password == NULL || size <= 0)
        return 0;
    n = strlen(password);
    if (n > (size_t)size)
        return 0;
    memcpy(buf, password, n);
    return (int)n;
}

/* What both a built and an adopted context get. */
static int serve_http11(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_CLIENT_RENEGOTIATION);
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                     | SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_clear_mode(ctx, SSL_MODE_AUTO_RETRY);
    return 0;
}

static int verify_flags(int cert_reqs) {
    if (cert_reqs == FW_TLS_CERT_REQUIRED)
        return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    if (cert_reqs == FW_TLS_CERT_OPTIONAL)
        return SSL_VERIFY_PEER;
    return SSL_VERIFY_NONE;
}

static int load_key(SSL_CTX *ctx, const fw_tls_config_t *cfg, char *err, size_t errlen) {
    const char *keyfile = cfg->keyfile ? cfg->keyfile : cfg->certfile;
    unsigned long e;
    char reason[160];
    int ok;
    SSL_CTX_set_default_passwd_cb(ctx, give_password);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, (void *)cfg->password);
    ERR_clear_error();
    ok = SSL_CTX_use_PrivateKey_file(ctx, keyfile, SSL_FILETYPE_PEM);
    /* The password lives in the caller's memory: forget it now. */
    SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);
    if (ok == 1 && SSL_CTX_check_private_key(ctx) == 1)
        return 0;
    e = ERR_peek_last_error();
    last_error(reason, sizeof(reason), "unknown error");
    if (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH || ok == 1)
        snprintf(err, errlen, "keyfile does not match certfile: %s (%s)", keyfile,
                 cfg->certfile);
    else if (access(keyfile, R_OK) != 0)
        snprintf(err, errlen, "cannot load keyfile %s: %s", keyfile, strerror(errno));
    else if (cfg->password == NULL)
        snprintf(err, errlen, "cannot load keyfile %s: %s (encrypted? set keyfile_password)",
                 keyfile, reason);
    else
        snprintf(err, errlen, "cannot load keyfile %s: %s (is keyfile_password right?)",
                 keyfile, reason);
    return -1;
}

fw_tls_ctx_t *fw_tls_ctx_new(const fw_tls_config_t *cfg, char *err, size_t errlen) {
    SSL_CTX *ctx;
    fw_tls_ctx_t *c;
    uint64_t options;
    if (cfg->certfile == NULL) {
        snprintf(err, errlen, "TLS needs a certfile");
        return NULL;
    }
    ERR_clear_error();
    ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        say(err, errlen, "cannot create a TLS context", NULL);
        return NULL;
    }
    /* Python's SSLContext.__new__ options and minimum version. */
    options = (SSL_OP_ALL & ~(uint64_t)SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS
               & ~(uint64_t)SSL_OP_LEGACY_SERVER_CONNECT)
              | SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_COMPRESSION
              | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_SINGLE_DH_USE | SSL_OP_SINGLE_ECDH_USE;
    SSL_CTX_clear_options(ctx, SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS | SSL_OP_LEGACY_SERVER_CONNECT);
    SSL_CTX_set_options(ctx, options);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_TRUSTED_FIRST);
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)SESSION_ID_CONTEXT,
                                   sizeof(SESSION_ID_CONTEXT) - 1);
    if (SSL_CTX_set_cipher_list(ctx, PY_DEFAULT_CIPHERS) != 1) {
        say(err, errlen, "cannot set the default ciphers", NULL);
        goto fail;
    }
    if (cfg->ca_certs != NULL && SSL_CTX_load_verify_locations(ctx, cfg->ca_certs, NULL) != 1) {
        say_file(err, errlen, "cannot load ca_certs", cfg->ca_certs);
        goto fail;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->certfile) != 1) {
        say_file(err, errlen, "cannot load certfile", cfg->certfile);
        goto fail;
    }
    if (load_key(ctx, cfg, err, errlen) < 0)
        goto fail;
    SSL_CTX_set_default_passwd_cb(ctx, give_password);
    SSL_CTX_set_verify(ctx, verify_flags(cfg->cert_reqs), NULL);
    /* set_ciphers: TLS 1.2 and older suites (TLS 1.3's are not a cipher
     * list in OpenSSL, and Python leaves them at their default too). */
    if (cfg->ciphers != NULL && cfg->ciphers[0]
            && SSL_CTX_set_cipher_list(ctx, cfg->ciphers) != 1) {
        say(err, errlen, "bad ciphers", cfg->ciphers);
        goto fail;
    }
    serve_http11(ctx);
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    c->ctx = ctx;
    c->suppress_ragged_eofs = cfg->suppress_ragged_eofs;
    return c;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

fw_tls_ctx_t *fw_tls_ctx_adopt(void *ssl_ctx, int suppress_ragged_eofs, char *err,
                               size_t errlen) {
    SSL_CTX *ctx = ssl_ctx;
    fw_tls_ctx_t *c;
    if (ctx == NULL || SSL_CTX_get0_certificate(ctx) == NULL) {
        snprintf(err, errlen, "the ssl_context hook's context has no certificate loaded");
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    SSL_CTX_up_ref(ctx);
    serve_http11(ctx);
    c->ctx = ctx;
    c->suppress_ragged_eofs = suppress_ragged_eofs;
    return c;
}

int fw_tls_ctx_verify_mode(const fw_tls_ctx_t *c) {
    int mode = SSL_CTX_get_verify_mode(c->ctx);
    if (!(mode & SSL_VERIFY_PEER))
        return FW_TLS_CERT_NONE;
    return mode & SSL_VERIFY_FAIL_IF_NO_PEER_CERT ? FW_TLS_CERT_REQUIRED : FW_TLS_CERT_OPTIONAL;
}

unsigned long long fw_tls_ctx_options(const fw_tls_ctx_t *c) {
    return (unsigned long long)SSL_CTX_get_options(c->ctx);
}

void fw_tls_ctx_free(fw_tls_ctx_t *c) {
    if (c == NULL)
        return;
    SSL_CTX_free(c->ctx);
    free(c);
}

unsigned long fw_tls_library_version(void) {
    return OpenSSL_version_num();
}

void *fw_tls_library_marker(void) {
    return (void *)&SSL_CTX_new;
}

/* ---- sessions ----------------------------------------------------------- */

fw_tls_t *fw_tls_new(fw_tls_ctx_t *c, int fd) {
    fw_tls_t *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->ssl = SSL_new(c->ctx);
    if (t->ssl == NULL || SSL_set_fd(t->ssl, fd) != 1) {
        SSL_free(t->ssl);
        free(t);
        ERR_clear_error();
        return NULL;
    }
    SSL_set_accept_state(t->ssl);
    t->ragged_ok = c->suppress_ragged_eofs;
    return t;
}

void fw_tls_free(fw_tls_t *t) {
    if (t == NULL)
        return;
    SSL_free(t->ssl);
    free(t);
}

/* Map a failed SSL_* call to the contract.  A read's end of stream is 0. */
static int classify(fw_tls_t *t, int r) {
    int saved_errno = errno;
    int e = SSL_get_error(t->ssl, r);
    unsigned long code;
    switch (e) {
    case SSL_ERROR_WANT_READ:
        t->want = FW_TLS_WANT_READ;
        return -2;
    case SSL_ERROR_WANT_WRITE:
        t->want = FW_TLS_WANT_WRITE;
        return -2;
    case SSL_ERROR_ZERO_RETURN:  /* close_notify */
        return 0;
    case SSL_ERROR_SYSCALL:
        t->failed = 1;
        if (ERR_peek_error() == 0 && (r == 0 || saved_errno == 0))
            goto ragged;  /* OpenSSL 1.1: EOF without close_notify */
        snprintf(t->err, sizeof(t->err), "%s",
                 saved_errno ? strerror(saved_errno) : "socket error");
        ERR_clear_error();
        return -1;
    case SSL_ERROR_SSL:
        t->failed = 1;
        code = ERR_peek_error();
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
        if (ERR_GET_LIB(code) == ERR_LIB_SSL
                && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
            ERR_clear_error();
            goto ragged;
        }
#endif
        (void)code;
        last_error(t->err, sizeof(t->err), "TLS error");
        return -1;
    default:
        t->failed = 1;
        last_error(t->err, sizeof(t->err), "TLS error");
        return -1;
    }
ragged:
    /* The peer closed the TCP connection without close_notify. */
    if (t->ragged_ok)
        return 0;
    snprintf(t->err, sizeof(t->err), "EOF occurred in violation of protocol");
    return -1;
}

int fw_tls_handshake(fw_tls_t *t) {
    int r;
    if (SSL_is_init_finished(t->ssl))
        return 0;
    ERR_clear_error();
    r = SSL_do_handshake(t->ssl);
    if (r == 1)
        return 0;
    r = classify(t, r);
    if (r == 0) {  /* EOF before the handshake completed */
        t->failed = 1;
        snprintf(t->err, sizeof(t->err), "EOF during the handshake");
        return -1;
    }
    return r;
}

int fw_tls_handshake_done(const fw_tls_t *t) {
    return SSL_is_init_finished(t->ssl);
}

ssize_t fw_tls_read(fw_tls_t *t, char *buf, size_t n) {
    size_t got = 0;
    int r;
    /* One record per SSL_read; go on only while OpenSSL already holds more
     * (read ahead), so that no read(2) is made that would return EAGAIN. */
    while (got < n) {
        ERR_clear_error();
        r = SSL_read(t->ssl, buf + got, n - got > INT_MAX ? INT_MAX : (int)(n - got));
        if (r > 0) {
            got += (size_t)r;
            if (!SSL_has_pending(t->ssl))
                break;
            continue;
        }
        if (got)
            break;  /* the condition comes back on the next call */
        return classify(t, r);
    }
    return (ssize_t)got;
}

ssize_t fw_tls_write(fw_tls_t *t, const char *buf, size_t n) {
    int r;
    if (n == 0)
        return 0;
    ERR_clear_error();
    r = SSL_write(t->ssl, buf, n > INT_MAX ? INT_MAX : (int)n);
    if (r > 0)
        return r;
    r = classify(t, r);
    if (r == 0) {
        t->failed = 1;
        snprintf(t->err, sizeof(t->err), "the peer closed the TLS session");
        return -1;
    }
    return r;
}

int fw_tls_pending(const fw_tls_t *t) {
    return SSL_has_pending(t->ssl);
}

int fw_tls_shutdown(fw_tls_t *t) {
    int r;
    if (t->failed || !SSL_is_init_finished(t->ssl)
            || (SSL_get_shutdown(t->ssl) & SSL_SENT_SHUTDOWN))
        return 0;
    ERR_clear_error();
    r = SSL_shutdown(t->ssl);
    if (r >= 0)
        return 0;
    r = classify(t, r);
    return r == -2 ? -2 : (r < 0 ? -1 : 0);
}

int fw_tls_want(const fw_tls_t *t) {
    return t->want;
}

const char *fw_tls_error(const fw_tls_t *t) {
    return t->err[0] ? t->err : "no error";
}

static void name_text(X509_NAME *name, char *out, size_t n) {
    BIO *bio;
    int len;
    if (n == 0)
        return;
    out[0] = 0;
    if (name == NULL || (bio = BIO_new(BIO_s_mem())) == NULL)
        return;
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
        len = BIO_read(bio, out, (int)(n - 1 > INT_MAX ? INT_MAX : n - 1));
        out[len > 0 ? len : 0] = 0;
    }
    BIO_free(bio);
}

int fw_tls_peer_subject(fw_tls_t *t, char *subject, size_t n, char *issuer, size_t m) {
    X509 *cert = SSL_get_peer_certificate(t->ssl);
    if (n)
        subject[0] = 0;
    if (m)
        issuer[0] = 0;
    if (cert == NULL)
        return 0;
    name_text(X509_get_subject_name(cert), subject, n);
    name_text(X509_get_issuer_name(cert), issuer, m);
    X509_free(cert);
    return SSL_get_verify_result(t->ssl) == X509_V_OK;
}

const char *fw_tls_version(const fw_tls_t *t) {
    return SSL_get_version(t->ssl);
}

const char *fw_tls_cipher(const fw_tls_t *t) {
    return SSL_get_cipher_name(t->ssl);
}
