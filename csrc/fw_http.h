/* HTTP helpers for the hot path: no Python objects, caller-owned buffers. */
#ifndef FW_HTTP_H
#define FW_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* "Date: Tue, 24 Nov 2026 05:21:40 GMT\r\n" refreshed at most once a second.
 * Returns the header line (static storage) and its length in *len. */
const char *fw_date_line(time_t now, size_t *len);

/* Split a request-target into path and query (RFC 9112 §3.2).  Handles
 * origin-form ("/a?b") and absolute-form ("http://h/a?b": the path starts at
 * the first '/' after the authority, "" when there is none); a fragment is cut.
 * Offsets are relative to `url`. */
typedef struct {
    size_t path_off, path_len;
    size_t query_off, query_len;
    size_t auth_off, auth_len; /* absolute-form: host [":" port], userinfo cut; else 0 */
} fw_target_t;
void fw_split_target(const char *url, size_t len, fw_target_t *out);

/* Percent-decode src into dst (dst must hold len bytes).  Malformed escapes
 * are copied as they are, like urllib.parse.unquote.  Returns bytes written. */
size_t fw_percent_decode(const char *src, size_t len, char *dst);

/* Index of a common request header in the table below, or -1.
 * Compared case-insensitively (RFC 9110 §5.1). */
int fw_header_index(const char *name, size_t len);
/* The CGI name of the common header number i ("HTTP_HOST", "CONTENT_TYPE"). */
const char *fw_header_cgi_name(int i);
int fw_header_count(void);
enum {
    FW_H_HOST = 0,
    FW_H_CONTENT_LENGTH = 1,
    FW_H_CONTENT_TYPE = 2,
    FW_H_TRANSFER_ENCODING = 3,
    FW_H_EXPECT = 4,
};

/* "HTTP_" + upper-case name with '-' as '_' into out (len + 5 bytes).
 * Returns the length, or -1 when the name holds '_': such a header would be
 * indistinguishable from its '-' twin in environ, so it is dropped (gunicorn's
 * header_map=drop, nginx's underscores_in_headers off). */
long fw_header_cgi_key(const char *name, size_t len, char *out);

/* Index of the first byte of s[0..len) that may not appear in a field value
 * we send (CR, LF, NUL: RFC 9110 §5.5), or -1. */
long fw_find_ctl(const char *s, size_t len);

/* True when the bytes are a token (RFC 9110 §5.6.2), for header names. */
int fw_is_token(const char *s, size_t len);

/* What a response header set by the app means to the server. */
enum {
    FW_RH_OTHER = 0,
    FW_RH_CONTENT_LENGTH,
    FW_RH_CONNECTION,
    FW_RH_HOP_BY_HOP, /* dropped: the server frames the message (PEP 3333) */
    FW_RH_SERVER,
    FW_RH_DATE,
};
int fw_response_header_kind(const char *name, size_t len);

/* A Host field value: uri-host [ ":" port ] (RFC 9112 §3.2, RFC 3986 §3.2.2),
 * or empty. */
int fw_valid_host(const char *s, size_t len);

/* Length of the token at s (RFC 9110 §5.6.2), up to len. */
size_t fw_token_length(const char *s, size_t len);

/* Case-insensitive comparison with a lower-case literal. */
int fw_lower_eq(const char *s, size_t len, const char *lower);

/* Hex chunk-size line "1a2b\r\n" into out (at least 20 bytes); returns length. */
size_t fw_chunk_header(size_t n, char *out);
/* n in decimal, no NUL; out has room for 20 digits.  (snprintf's format
 * parsing cost a server-counted Content-Length ~300 instructions.) */
size_t fw_decimal(uint64_t n, char *out);

/* A request's chunk-size line, without its CRLF (RFC 9112 §7.1):
 *   1*HEXDIG *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )
 * Returns the number of hex digits it starts with, or 0 when it is not one
 * (no size, an extension without a name or a value, a quoted-string not
 * closed, a byte outside the grammar: a bare CR, whitespace at the end). */
size_t fw_chunk_line(const char *s, size_t len);

/* True for a field that may not be sent as a trailer (RFC 9110 §6.5.1),
 * compared case-insensitively; the list is gunicorn's. */
int fw_forbidden_trailer(const char *name, size_t len);

#endif
