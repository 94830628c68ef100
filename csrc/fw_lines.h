/* Fixed bytes of the responses the engine writes, with their lengths
 * computed by the compiler (sizeof a string literal counts its NUL), so that
 * no length is counted by hand beside the bytes it measures. */
#ifndef FW_LINES_H
#define FW_LINES_H

#define FW_LIT_LEN(s) (sizeof(s) - 1)

#define FW_STATUS_PREFIX "HTTP/1.1 "
#define FW_STATUS_PREFIX_LEN FW_LIT_LEN(FW_STATUS_PREFIX)
#define FW_SERVER_LINE "Server: fastwsgi\r\n"
#define FW_SERVER_LINE_LEN FW_LIT_LEN(FW_SERVER_LINE)
#define FW_CHUNKED_LINE "Transfer-Encoding: chunked\r\n"
#define FW_CHUNKED_LINE_LEN FW_LIT_LEN(FW_CHUNKED_LINE)
/* The last header line and the blank line that ends the head. */
#define FW_CLOSE_END "Connection: close\r\n\r\n"
#define FW_CLOSE_END_LEN FW_LIT_LEN(FW_CLOSE_END)
#define FW_KEEP_ALIVE_END "Connection: keep-alive\r\n\r\n"
#define FW_KEEP_ALIVE_END_LEN FW_LIT_LEN(FW_KEEP_ALIVE_END)
/* Before the body's length when the server counts it (fw_decimal). */
#define FW_CONTENT_LENGTH_PREFIX "Content-Length: "
#define FW_CONTENT_LENGTH_PREFIX_LEN FW_LIT_LEN(FW_CONTENT_LENGTH_PREFIX)
#define FW_CRLF "\r\n"
#define FW_CRLF_LEN FW_LIT_LEN(FW_CRLF)
#define FW_HEADER_SEP ": "
#define FW_HEADER_SEP_LEN FW_LIT_LEN(FW_HEADER_SEP)
/* The chunked body's end: the last (empty) chunk and no trailers. */
#define FW_LAST_CHUNK "0\r\n\r\n"
#define FW_LAST_CHUNK_LEN FW_LIT_LEN(FW_LAST_CHUNK)
/* RFC 9110 §10.1.1: the interim answer to Expect: 100-continue. */
#define FW_CONTINUE "HTTP/1.1 100 Continue\r\n\r\n"
#define FW_CONTINUE_LEN FW_LIT_LEN(FW_CONTINUE)

#endif
