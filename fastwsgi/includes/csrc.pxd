# The whole csrc/ API, declared once (csrc/fw_*.h).

from libc.stdint cimport int32_t, uint8_t, uint16_t, uint64_t
from fastwsgi.includes.system cimport time_t


cdef extern from "fw_buf.h" nogil:
    ctypedef struct fw_buf_t:
        char *data
        size_t len
        size_t cap
    int fw_buf_reserve(fw_buf_t *b, size_t extra)
    int fw_buf_append(fw_buf_t *b, const void *src, size_t n)
    void fw_buf_consume(fw_buf_t *b, size_t n)
    void fw_buf_shrink(fw_buf_t *b, size_t keep)
    void fw_buf_free(fw_buf_t *b)
    ctypedef struct fw_pool_t:
        int n
    int fw_buf_from_pool(fw_buf_t *b, fw_pool_t *pool)
    void fw_buf_to_pool(fw_buf_t *b, fw_pool_t *pool, size_t keep)


cdef extern from "fw_llhttp.h":
    ctypedef struct fw_llhttp_t:
        int32_t error
        const char *reason
        const char *error_pos
        void *data
        uint64_t content_length
        uint8_t method
        uint8_t http_major
        uint8_t http_minor
        uint16_t flags
        uint8_t upgrade

    ctypedef int (*fw_llhttp_data_cb)(fw_llhttp_t *, const char *at, size_t length) noexcept
    ctypedef int (*fw_llhttp_cb)(fw_llhttp_t *) noexcept

    ctypedef struct fw_llhttp_settings_t:
        fw_llhttp_cb on_message_begin
        fw_llhttp_data_cb on_url
        fw_llhttp_data_cb on_method
        fw_llhttp_data_cb on_header_field
        fw_llhttp_data_cb on_header_value
        fw_llhttp_cb on_headers_complete
        fw_llhttp_data_cb on_body
        fw_llhttp_cb on_message_complete
        fw_llhttp_cb on_header_value_complete

    ctypedef struct fw_llhttp_api_t:
        void (*init)(fw_llhttp_t *, int type, const fw_llhttp_settings_t *)
        void (*settings_init)(fw_llhttp_settings_t *)
        int (*execute)(fw_llhttp_t *, const char *data, size_t len)
        void (*resume)(fw_llhttp_t *)
        void (*resume_after_upgrade)(fw_llhttp_t *)
        int (*should_keep_alive)(const fw_llhttp_t *)
        const char *(*errno_name)(int err)
        const char *(*method_name)(int method)
        void (*set_error_reason)(fw_llhttp_t *, const char *reason)
        void (*set_lenient_version)(fw_llhttp_t *, int enabled)

    fw_llhttp_api_t fw_llhttp
    const char *fw_llhttp_load(const char *path)

    enum:
        FW_HTTP_REQUEST
        FW_HPE_OK
        FW_HPE_INVALID_METHOD
        FW_HPE_PAUSED
        FW_HPE_PAUSED_UPGRADE
        FW_HPE_USER
        FW_F_CONNECTION_KEEP_ALIVE
        FW_F_CONNECTION_CLOSE
        FW_F_CHUNKED
        FW_F_UPGRADE
        FW_F_CONTENT_LENGTH
        FW_F_TRANSFER_ENCODING


cdef extern from "fw_http.h" nogil:
    ctypedef struct fw_target_t:
        size_t path_off, path_len
        size_t query_off, query_len

    const char *fw_date_line(time_t now, size_t *len)
    void fw_split_target(const char *url, size_t len, fw_target_t *out)
    size_t fw_percent_decode(const char *src, size_t len, char *dst)
    int fw_header_index(const char *name, size_t len)
    const char *fw_header_cgi_name(int i)
    int fw_header_count()
    long fw_header_cgi_key(const char *name, size_t len, char *out)
    long fw_find_ctl(const char *s, size_t len)
    int fw_is_token(const char *s, size_t len)
    int fw_lower_eq(const char *s, size_t len, const char *lower)
    size_t fw_chunk_header(size_t n, char *out)
    int fw_response_header_kind(const char *name, size_t len)
    int fw_valid_host(const char *s, size_t len)
    size_t fw_token_length(const char *s, size_t len)
    enum:
        FW_RH_OTHER
        FW_RH_CONTENT_LENGTH
        FW_RH_CONNECTION
        FW_RH_HOP_BY_HOP
        FW_RH_SERVER
        FW_RH_DATE
    enum:
        FW_H_HOST
        FW_H_CONTENT_LENGTH
        FW_H_CONTENT_TYPE
        FW_H_TRANSFER_ENCODING
        FW_H_EXPECT
