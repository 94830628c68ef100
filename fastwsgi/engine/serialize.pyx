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
    cdef const char *status = <const char *>PyUnicode_DATA(sr.status)
    cdef size_t slen = <size_t>PyUnicode_GET_LENGTH(sr.status)
    # Room for all of it at once (the fixed lines, Date and Content-Length
    # take well under HEAD_EXTRA bytes), then plain stores: the literals'
    # copies are a few moves each, with no test of room per piece.
    buf_reserve(out, slen + sr.head_len + HEAD_EXTRA)
    cdef char *p = out.data + out.len
    memcpy(p, FW_STATUS_PREFIX, FW_STATUS_PREFIX_LEN)
    p += FW_STATUS_PREFIX_LEN
    memcpy(p, status, slen)
    p += slen
    if slen == 3:
        p[0] = b' '
        p += 1
    memcpy(p, FW_CRLF, FW_CRLF_LEN)
    p += FW_CRLF_LEN
    if not (sr.app_flags & AH_SERVER):
        memcpy(p, FW_SERVER_LINE, FW_SERVER_LINE_LEN)
        p += FW_SERVER_LINE_LEN
    if not (sr.app_flags & AH_DATE):
        date = fw_date_line(_now_wall, &n)
        memcpy(p, date, n)
        p += n
    memcpy(p, sr.head_data, sr.head_len)
    p += sr.head_len
    if framing == FR_LENGTH and sr.content_length < 0:
        memcpy(p, FW_CONTENT_LENGTH_PREFIX, FW_CONTENT_LENGTH_PREFIX_LEN)
        p += FW_CONTENT_LENGTH_PREFIX_LEN
        p += fw_decimal(<uint64_t>length, p)
        memcpy(p, FW_CRLF, FW_CRLF_LEN)
        p += FW_CRLF_LEN
    elif framing == FR_CHUNKED:
        memcpy(p, FW_CHUNKED_LINE, FW_CHUNKED_LINE_LEN)
        p += FW_CHUNKED_LINE_LEN
    if conn_header == CH_CLOSE:
        memcpy(p, FW_CLOSE_END, FW_CLOSE_END_LEN)
        p += FW_CLOSE_END_LEN
    elif conn_header == CH_KEEP_ALIVE:
        memcpy(p, FW_KEEP_ALIVE_END, FW_KEEP_ALIVE_END_LEN)
        p += FW_KEEP_ALIVE_END_LEN
    else:
        memcpy(p, FW_CRLF, FW_CRLF_LEN)
        p += FW_CRLF_LEN
    out.len = <size_t>(p - out.data)
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
