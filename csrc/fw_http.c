#include "fw_http.h"

#include <stdio.h>
#include <string.h>

/* ---- Date cache ------------------------------------------------------- */

static char date_line[64];
static size_t date_len;
static time_t date_at = -1;

const char *fw_date_line(time_t now, size_t *len)
{
    if (now != date_at) {
        /* IMF-fixdate (RFC 9110 §5.6.7); strftime's %a/%b follow the locale,
         * so the names are spelled out here. */
        static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        struct tm tm;
        gmtime_r(&now, &tm);
        int n = snprintf(date_line, sizeof date_line,
                         "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
                         days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                         tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        date_len = n > 0 ? (size_t)n : 0;
        date_at = now;
    }
    *len = date_len;
    return date_line;
}

/* ---- Request target ---------------------------------------------------- */

void fw_split_target(const char *url, size_t len, fw_target_t *out)
{
    size_t start = 0;
    out->auth_off = out->auth_len = 0;
    if (len > 0 && url[0] != '/') {
        /* absolute-form: scheme "://" authority path-abempty [ "?" query ] */
        const char *sep = memchr(url, ':', len);
        if (sep != NULL && (size_t)(sep - url) + 2 < len && sep[1] == '/' && sep[2] == '/') {
            size_t auth = (size_t)(sep - url) + 3;
            start = auth;
            while (start < len && url[start] != '/' && url[start] != '?' && url[start] != '#')
                start++;
            /* authority = [ userinfo "@" ] host [ ":" port ] (RFC 3986 §3.2) */
            for (size_t i = auth; i < start; i++)
                if (url[i] == '@')
                    auth = i + 1;
            out->auth_off = auth;
            out->auth_len = start - auth;
        }
        /* Anything else (authority-form of CONNECT, asterisk-form "*") keeps
         * the whole target as the path, as gunicorn does. */
    }
    size_t end = start;
    while (end < len && url[end] != '?' && url[end] != '#')
        end++;
    out->path_off = start;
    out->path_len = end - start;
    if (end < len && url[end] == '?') {
        size_t q = end + 1, qe = q;
        while (qe < len && url[qe] != '#')
            qe++;
        out->query_off = q;
        out->query_len = qe - q;
    } else {
        out->query_off = end;
        out->query_len = 0;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t fw_percent_decode(const char *src, size_t len, char *dst)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '%' && i + 2 < len && hexval(src[i + 1]) >= 0 && hexval(src[i + 2]) >= 0) {
            dst[o++] = (char)(hexval(src[i + 1]) * 16 + hexval(src[i + 2]));
            i += 2;
        } else {
            dst[o++] = src[i];
        }
    }
    return o;
}

/* ---- Header names ------------------------------------------------------ */

typedef struct {
    const char *lower;
    size_t len;
    const char *cgi;
} header_entry;

#define H(lower, cgi) {lower, sizeof(lower) - 1, cgi}
/* The first entries are the ones the engine acts on (see the enum in
 * fw_http.h); the rest are the headers browsers and proxies send most, so
 * that their environ keys are interned once per worker, not built per request. */
static const header_entry headers[] = {
    H("host", "HTTP_HOST"),
    H("content-length", "CONTENT_LENGTH"),
    H("content-type", "CONTENT_TYPE"),
    H("transfer-encoding", "HTTP_TRANSFER_ENCODING"),
    H("expect", "HTTP_EXPECT"),
    H("connection", "HTTP_CONNECTION"),
    H("user-agent", "HTTP_USER_AGENT"),
    H("accept", "HTTP_ACCEPT"),
    H("accept-encoding", "HTTP_ACCEPT_ENCODING"),
    H("accept-language", "HTTP_ACCEPT_LANGUAGE"),
    H("cookie", "HTTP_COOKIE"),
    H("referer", "HTTP_REFERER"),
    H("cache-control", "HTTP_CACHE_CONTROL"),
    H("authorization", "HTTP_AUTHORIZATION"),
    H("origin", "HTTP_ORIGIN"),
    H("upgrade", "HTTP_UPGRADE"),
    H("if-none-match", "HTTP_IF_NONE_MATCH"),
    H("if-modified-since", "HTTP_IF_MODIFIED_SINCE"),
    H("x-forwarded-for", "HTTP_X_FORWARDED_FOR"),
    H("x-forwarded-proto", "HTTP_X_FORWARDED_PROTO"),
    H("x-forwarded-host", "HTTP_X_FORWARDED_HOST"),
    H("x-real-ip", "HTTP_X_REAL_IP"),
    H("x-requested-with", "HTTP_X_REQUESTED_WITH"),
    H("pragma", "HTTP_PRAGMA"),
    H("range", "HTTP_RANGE"),
    H("dnt", "HTTP_DNT"),
    H("upgrade-insecure-requests", "HTTP_UPGRADE_INSECURE_REQUESTS"),
    H("sec-fetch-site", "HTTP_SEC_FETCH_SITE"),
    H("sec-fetch-mode", "HTTP_SEC_FETCH_MODE"),
    H("sec-fetch-dest", "HTTP_SEC_FETCH_DEST"),
    H("content-encoding", "HTTP_CONTENT_ENCODING"),
};
#undef H

#define NHEADERS ((int)(sizeof headers / sizeof headers[0]))

int fw_header_count(void) { return NHEADERS; }

const char *fw_header_cgi_name(int i)
{
    return (i >= 0 && i < NHEADERS) ? headers[i].cgi : NULL;
}

static inline char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : c;
}

/* s[0..n) equals the lower-case `low` ignoring ASCII case, compared eight
 * bytes at a time.  OR-ing 0x20 folds A-Z onto a-z and leaves a-z, 0-9 and
 * '-' as they are; the only other bytes it could fold onto those (0x0D, 0x10
 * to 0x19) are not tchars, and every name compared here was checked by llhttp
 * or fw_is_token to be a token, so no false match is possible. */
static inline int eq_lower_n(const char *s, const char *low, size_t n)
{
    const uint64_t fold = 0x2020202020202020ULL;
    uint64_t a, b;
    while (n >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, low, 8);
        if ((a | fold) != b)
            return 0;
        s += 8;
        low += 8;
        n -= 8;
    }
    while (n--) {
        if ((*s++ | 0x20) != *low++)
            return 0;
    }
    return 1;
}

int fw_lower_eq(const char *s, size_t len, const char *low)
{
    size_t i = 0;
    for (; i < len; i++) {
        if (low[i] == '\0' || lower(s[i]) != low[i])
            return 0;
    }
    return low[i] == '\0';
}

int fw_header_index(const char *name, size_t len)
{
    for (int i = 0; i < NHEADERS; i++) {
        if (headers[i].len == len && eq_lower_n(name, headers[i].lower, len))
            return i;
    }
    return -1;
}

long fw_header_cgi_key(const char *name, size_t len, char *out)
{
    memcpy(out, "HTTP_", 5);
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (c == '_')
            return -1;
        if (c == '-')
            c = '_';
        else if (c >= 'a' && c <= 'z')
            c = (char)(c - 32);
        out[5 + i] = c;
    }
    return (long)(len + 5);
}

long fw_find_ctl(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\r' || c == '\n' || c == '\0')
            return (long)i;
    }
    return -1;
}

/* tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
 *         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA      (RFC 9110 §5.6.2) */
static const unsigned char tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1,
    ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1,
    ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
    ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
    ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
    ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,
    ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
    ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
    ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

size_t fw_token_length(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && tchar[(unsigned char)s[i]])
        i++;
    return i;
}

int fw_is_token(const char *s, size_t len)
{
    return len > 0 && fw_token_length(s, len) == len;
}

int fw_response_header_kind(const char *name, size_t len)
{
    /* Dispatch on length first: most app headers (Content-Type, ...) leave
     * after one comparison. */
    switch (len) {
    case 2:
        return eq_lower_n(name, "te", len) ? FW_RH_HOP_BY_HOP : FW_RH_OTHER;
    case 4:
        return eq_lower_n(name, "date", len) ? FW_RH_DATE : FW_RH_OTHER;
    case 6:
        return eq_lower_n(name, "server", len) ? FW_RH_SERVER : FW_RH_OTHER;
    case 7:
        return eq_lower_n(name, "upgrade", len) ? FW_RH_HOP_BY_HOP : FW_RH_OTHER;
    case 8:
        return eq_lower_n(name, "trailers", len) ? FW_RH_HOP_BY_HOP : FW_RH_OTHER;
    case 10:
        if (eq_lower_n(name, "connection", len))
            return FW_RH_CONNECTION;
        return eq_lower_n(name, "keep-alive", len) ? FW_RH_HOP_BY_HOP : FW_RH_OTHER;
    case 14:
        return eq_lower_n(name, "content-length", len) ? FW_RH_CONTENT_LENGTH : FW_RH_OTHER;
    case 17:
        return eq_lower_n(name, "transfer-encoding", len) ? FW_RH_HOP_BY_HOP : FW_RH_OTHER;
    case 18:
        return eq_lower_n(name, "proxy-authenticate", len) ? FW_RH_HOP_BY_HOP : FW_RH_OTHER;
    case 19:
        return eq_lower_n(name, "proxy-authorization", len) ? FW_RH_HOP_BY_HOP : FW_RH_OTHER;
    default:
        return FW_RH_OTHER;
    }
}

/* reg-name / IPv4address / IP-literal characters, plus ":" for the port
 * (RFC 3986 §3.2.2): ALPHA DIGIT, unreserved, sub-delims, "%" of
 * pct-encoded, "[" "]". */
static const unsigned char host_chars[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
    ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1,
    ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
    ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
    ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['-'] = 1, ['.'] = 1,
    ['_'] = 1, ['~'] = 1, ['!'] = 1, ['$'] = 1, ['&'] = 1, ['\''] = 1, ['('] = 1, [')'] = 1,
    ['*'] = 1, ['+'] = 1, [','] = 1, [';'] = 1, ['='] = 1, ['%'] = 1, [':'] = 1, ['['] = 1,
    [']'] = 1,
};

int fw_valid_host(const char *s, size_t len)
{
    size_t i = 0;
    if (len && s[0] == '[') {
        /* IP-literal: "[" IPv6address / IPvFuture "]" */
        for (i = 1; i < len && s[i] != ']'; i++) {
            unsigned char c = (unsigned char)s[i];
            if (!(host_chars[c] && c != '[' && c != '%'))
                return 0;
        }
        if (i == len)
            return 0;
        i++;
    } else {
        /* reg-name / IPv4address: no ":" "[" "]" inside */
        for (; i < len && s[i] != ':'; i++) {
            unsigned char c = (unsigned char)s[i];
            if (!host_chars[c] || c == '[' || c == ']')
                return 0;
        }
    }
    if (i == len)
        return 1;
    if (s[i] != ':')
        return 0;
    /* port = *DIGIT */
    for (i++; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
    }
    return 1;
}

size_t fw_decimal(uint64_t n, char *out)
{
    char tmp[20];
    size_t k = 0;
    do {
        tmp[k++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    for (size_t i = 0; i < k; i++)
        out[i] = tmp[k - 1 - i];
    return k;
}

size_t fw_chunk_header(size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[20];
    size_t k = 0;
    do {
        tmp[k++] = hex[n & 15];
        n >>= 4;
    } while (n);
    for (size_t i = 0; i < k; i++)
        out[i] = tmp[k - 1 - i];
    out[k] = '\r';
    out[k + 1] = '\n';
    return k + 2;
}

/* ---- request chunk-size lines and trailers (RFC 9112 §7.1) ------------- */

static size_t skip_bws(const char *s, size_t i, size_t len)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

/* The end of the quoted-string that opens at s[i] (RFC 9110 §5.6.4), or 0
 * when it is not closed or holds a byte it may not:
 *   qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
 *   quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ) */
static size_t quoted_end(const char *s, size_t i, size_t len)
{
    for (i++; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"')
            return i + 1;
        if (c == '\\') {
            if (++i == len)
                return 0;
            c = (unsigned char)s[i];
            if (c != '\t' && (c < 0x20 || c == 0x7f))
                return 0;
        } else if (c != '\t' && (c < 0x20 || c == 0x7f)) {
            return 0;
        }
    }
    return 0;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

size_t fw_chunk_line(const char *s, size_t len)
{
    size_t i = 0, digits, n;
    while (i < len && is_hex(s[i]))
        i++;
    digits = i;
    if (digits == 0)
        return 0;
    /* chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ) */
    while (i < len) {
        i = skip_bws(s, i, len);
        if (i == len || s[i] != ';')
            return 0;
        i = skip_bws(s, i + 1, len);
        n = fw_token_length(s + i, len - i);
        if (n == 0)
            return 0;
        i += n;
        n = skip_bws(s, i, len);
        if (n < len && s[n] == '=') {
            i = skip_bws(s, n + 1, len);
            if (i < len && s[i] == '"') {
                i = quoted_end(s, i, len);
                if (i == 0)
                    return 0;
            } else {
                n = fw_token_length(s + i, len - i);
                if (n == 0)
                    return 0;
                i += n;
            }
        }
    }
    return digits;
}

int fw_forbidden_trailer(const char *name, size_t len)
{
    /* gunicorn's list (RFC 9110 §6.5.1: fields that frame, route or
     * authenticate the request, or tell how trailers are handled). */
    static const char *const forbidden[] = {
        "host", "content-length", "transfer-encoding", "trailer", "authorization", "te",
    };
    for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
        if (fw_lower_eq(name, len, forbidden[i]))
            return 1;
    }
    return 0;
}
