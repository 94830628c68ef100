# The TLS C API of csrc/fw_tls.h, declared once (contract: >=0 done, -1
# failed, -2 would block on fw_tls_want()).

cdef extern from "fw_tls.h" nogil:
    enum:
        FW_TLS_WANT_READ
        FW_TLS_WANT_WRITE
        FW_TLS_CERT_NONE
        FW_TLS_CERT_OPTIONAL
        FW_TLS_CERT_REQUIRED

    ctypedef struct fw_tls_config_t:
        const char *certfile
        const char *keyfile
        const char *password
        const char *ca_certs
        const char *ciphers
        int cert_reqs
        int suppress_ragged_eofs

    ctypedef struct fw_tls_ctx_t:
        pass
    ctypedef struct fw_tls_t:
        pass

    fw_tls_ctx_t *fw_tls_ctx_new(const fw_tls_config_t *cfg, char *err, size_t errlen)
    fw_tls_ctx_t *fw_tls_ctx_adopt(void *ssl_ctx, int suppress_ragged_eofs, char *err,
                                   size_t errlen)
    int fw_tls_ctx_verify_mode(const fw_tls_ctx_t *c)
    unsigned long long fw_tls_ctx_options(const fw_tls_ctx_t *c)
    void fw_tls_ctx_free(fw_tls_ctx_t *c)
    unsigned long fw_tls_library_version()
    void *fw_tls_library_marker()

    fw_tls_t *fw_tls_new(fw_tls_ctx_t *c, int fd)
    void fw_tls_free(fw_tls_t *t)
    int fw_tls_handshake(fw_tls_t *t)
    int fw_tls_handshake_done(const fw_tls_t *t)
    ssize_t fw_tls_read(fw_tls_t *t, char *buf, size_t n)
    ssize_t fw_tls_write(fw_tls_t *t, const char *buf, size_t n)
    int fw_tls_pending(const fw_tls_t *t)
    int fw_tls_shutdown(fw_tls_t *t)
    int fw_tls_want(const fw_tls_t *t)
    const char *fw_tls_error(const fw_tls_t *t)
    int fw_tls_peer_subject(fw_tls_t *t, char *subject, size_t n, char *issuer, size_t m)
    const char *fw_tls_version(const fw_tls_t *t)
    const char *fw_tls_cipher(const fw_tls_t *t)
