# Bytes on the wire for responses: the head (status line, Server, Date, the
# app's validated headers, framing) and the server's own error responses.
# When each framing applies is engine/response.pyx's business.

cdef enum Framing:
    FR_NONE = 0
    FR_LENGTH = 1
    FR_CHUNKED = 2
    FR_CLOSE = 3

cdef enum ConnHeader:
    CH_NONE = 0
    CH_CLOSE = 1
    CH_KEEP_ALIVE = 2

cdef time_t _now_wall = 0

DEF HEAD_EXTRA = 160


cdef int write_head(fw_buf_t *out, StartResponse sr, int framing, int64_t length,
                    int conn_header) except -1:
    """Status line, Server, Date, the app's headers, framing, blank line."""
    cdef size_t n
    cdef const char *date
    cdef char numbuf[32]
    cdef const char *status = <const char *>PyUnicode_DATA(sr.status)
    cdef Py_ssize_t slen = PyUnicode_GET_LENGTH(sr.status)
    # Room for all of it at once: the fixed lines, Date and Content-Length
    # take well under HEAD_EXTRA bytes.
    buf_reserve(out, <size_t>slen + sr.head_len + HEAD_EXTRA)
    buf_append(out, FW_STATUS_PREFIX, FW_STATUS_PREFIX_LEN)
    buf_append(out, status, <size_t>slen)
    if slen == 3:
        buf_append(out, b" ", 1)
    buf_append(out, FW_CRLF, FW_CRLF_LEN)
    if not (sr.app_flags & AH_SERVER):
        buf_append(out, FW_SERVER_LINE, FW_SERVER_LINE_LEN)
    if not (sr.app_flags & AH_DATE):
        date = fw_date_line(_now_wall, &n)
        buf_append(out, date, n)
    buf_append(out, sr.head_data, sr.head_len)
    if framing == FR_LENGTH and sr.content_length < 0:
        n = <size_t>snprintf(numbuf, sizeof(numbuf), "Content-Length: %lld\r\n", <long long>length)
        buf_append(out, numbuf, n)
    elif framing == FR_CHUNKED:
        buf_append(out, FW_CHUNKED_LINE, FW_CHUNKED_LINE_LEN)
    if conn_header == CH_CLOSE:
        buf_append(out, FW_CLOSE_END, FW_CLOSE_END_LEN)
    elif conn_header == CH_KEEP_ALIVE:
        buf_append(out, FW_KEEP_ALIVE_END, FW_KEEP_ALIVE_END_LEN)
    else:
        buf_append(out, FW_CRLF, FW_CRLF_LEN)
    return 0


cdef dict _REASONS = {
    400: "Bad Request",
    408: "Request Timeout",
    413: "Content Too Large",
    414: "URI Too Long",
    417: "Expectation Failed",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    505: "HTTP Version Not Supported",
}


cdef bytes error_response(int code, str detail):
    """A complete response the server itself sends; always closes."""
    reason = _REASONS.get(code, "Error")
    body = f"{code} {reason}\n{detail}\n" if detail else f"{code} {reason}\n"
    cdef size_t n
    date = fw_date_line(_now_wall, &n)
    return (f"HTTP/1.1 {code} {reason}\r\nServer: fastwsgi\r\n".encode("latin-1")
            + date[:n]
            + (f"Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n"
               f"Content-Length: {len(body.encode())}\r\n\r\n{body}").encode())
