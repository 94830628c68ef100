# The whole csrc/ API, declared once (csrc/fw_*.h), each with its return
# contract.  Calls that can fail are made through fastwsgi/includes/checked.pxd.

from libc.stdint cimport int32_t, uint8_t, uint16_t, uint64_t
from fastwsgi.includes.system cimport time_t


cdef extern from "fw_buf.h" nogil:
    ctypedef struct fw_buf_t:
        char *data
        size_t len
        size_t cap
    # 0, or -1 out of memory (b unchanged): use checked.buf_reserve/buf_append.
    int fw_buf_reserve(fw_buf_t *b, size_t extra)
    int fw_buf_append(fw_buf_t *b, const void *src, size_t n)
    # Cannot fail.
    void fw_buf_consume(fw_buf_t *b, size_t n)
    void fw_buf_shrink(fw_buf_t *b, size_t keep)
    void fw_buf_free(fw_buf_t *b)
    ctypedef struct fw_pool_t:
        int n
    # 0, or -1 out of memory: use checked.buf_from_pool.
    int fw_buf_from_pool(fw_buf_t *b, fw_pool_t *pool)
    # Cannot fail.
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
        fw_llhttp_cb on_chunk_header
        fw_llhttp_cb on_chunk_complete

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

    # execute(): FW_HPE_OK, FW_HPE_PAUSED (a callback paused), or an error
    # number (llhttp_errno_t); the others cannot fail.
    fw_llhttp_api_t fw_llhttp
    # NULL when every entry point resolved, else the message (static storage).
    const char *fw_llhttp_load(const char *path)

    enum:
        FW_HTTP_REQUEST
        FW_HPE_OK
        FW_HPE_INVALID_METHOD
        FW_HPE_PAUSED
        FW_HPE_PAUSED_UPGRADE
        FW_HPE_USER
        FW_METHOD_GET
        FW_METHOD_HEAD
        FW_METHOD_CONNECT
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
        size_t auth_off, auth_len

    # None of these can fail; what each returns (csrc/fw_http.h says more):
    const char *fw_date_line(time_t now, size_t *len)                # the line, its length in *len
    void fw_split_target(const char *url, size_t len, fw_target_t *out)
    size_t fw_percent_decode(const char *src, size_t len, char *dst)  # bytes written (<= len)
    int fw_header_index(const char *name, size_t len)                 # table index, or -1: not common
    const char *fw_header_cgi_name(int i)
    int fw_header_count()
    long fw_header_cgi_key(const char *name, size_t len, char *out)   # length, or -1: name has '_'
    long fw_find_ctl(const char *s, size_t len)                       # index of CR/LF/NUL, or -1
    int fw_is_token(const char *s, size_t len)                        # boolean
    int fw_lower_eq(const char *s, size_t len, const char *lower)     # boolean
    size_t fw_chunk_header(size_t n, char *out)                       # bytes written (out >= 20)
    size_t fw_decimal(uint64_t n, char *out)                          # digits written (out >= 20)
    size_t fw_chunk_line(const char *s, size_t len)                   # hex digits, or 0: not valid
    int fw_forbidden_trailer(const char *name, size_t len)            # boolean
    int fw_response_header_kind(const char *name, size_t len)         # FW_RH_*
    int fw_valid_host(const char *s, size_t len)                      # boolean
    size_t fw_token_length(const char *s, size_t len)                 # bytes of token at s
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


cdef extern from "fw_lines.h" nogil:
    # Fixed response bytes; each *_LEN is the compiler's sizeof - 1.
    const char *FW_STATUS_PREFIX
    const char *FW_SERVER_LINE
    const char *FW_CHUNKED_LINE
    const char *FW_CLOSE_END
    const char *FW_KEEP_ALIVE_END
    const char *FW_CRLF
    const char *FW_CONTENT_LENGTH_PREFIX
    const char *FW_HEADER_SEP
    const char *FW_LAST_CHUNK
    const char *FW_CONTINUE
    enum:
        FW_STATUS_PREFIX_LEN
        FW_SERVER_LINE_LEN
        FW_CHUNKED_LINE_LEN
        FW_CLOSE_END_LEN
        FW_KEEP_ALIVE_END_LEN
        FW_CRLF_LEN
        FW_CONTENT_LENGTH_PREFIX_LEN
        FW_HEADER_SEP_LEN
        FW_LAST_CHUNK_LEN
        FW_CONTINUE_LEN


cdef extern from "fw_sys.h" nogil:
    void fw_release_free_memory()  # cannot fail


# Plain stores into a worker's shared-memory slot: nothing here can fail.
cdef extern from "fw_counters.h" nogil:
    enum:
        FW_LATENCY_BOUNDS
        FW_REFUSED_KINDS
    ctypedef struct fw_counters_t:
        uint64_t requests
        uint64_t sent_bytes
        uint64_t in_flight
        uint64_t connections_open
        uint64_t connections
        uint64_t keepalive_reuse
        uint64_t app_ns
        uint64_t threads_busy
        uint64_t threads
    ctypedef struct fw_counter_field_t:
        const char *name
        size_t offset
        size_t count
    const fw_counter_field_t fw_counter_fields[]
    size_t FW_COUNTER_NFIELDS
    const uint64_t fw_latency_bounds_ns[]
    const int fw_refused_status[]
    uint64_t fw_now_ns()
    void fw_count_latency(fw_counters_t *c, uint64_t ns)
    void fw_count_response(fw_counters_t *c, int status)
    void fw_count_refused(fw_counters_t *c, int status)
