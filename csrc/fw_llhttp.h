/* The llhttp C ABI, as compiled into httptools' parser extension.
 *
 * fastwsgi drives the llhttp inside httptools directly from C: no Python call
 * per header or per body chunk.  httptools does not install llhttp's headers,
 * so the layouts below are ours, transcribed from llhttp 9.3 (the version
 * bundled by httptools 0.7.1 through 0.9.x).  They are checked three ways:
 * static asserts on the offsets llhttp's own code uses (read off its
 * disassembly: settings at +88, on_url at +16, on_body at +88, on_reset at
 * +192), a symbol that only 9.3 exports (llhttp__on_protocol), and a parse of
 * a known request at import (engine/llhttp.pyx).  A mismatch fails the import
 * with one line naming the httptools version to install.
 */
#ifndef FW_LLHTTP_H
#define FW_LLHTTP_H

#include <stddef.h>
#include <stdint.h>

typedef struct fw_llhttp_s fw_llhttp_t;
typedef int (*fw_llhttp_data_cb)(fw_llhttp_t *, const char *at, size_t length);
typedef int (*fw_llhttp_cb)(fw_llhttp_t *);

struct fw_llhttp_s {
    int32_t _index;
    void *_span_pos0;
    void *_span_cb0;
    int32_t error;
    const char *reason;
    const char *error_pos;
    void *data;
    void *_current;
    uint64_t content_length;
    uint8_t type;
    uint8_t method;
    uint8_t http_major;
    uint8_t http_minor;
    uint8_t header_state;
    uint16_t lenient_flags;
    uint8_t upgrade;
    uint8_t finish;
    uint16_t flags;
    uint16_t status_code;
    uint8_t initial_message_completed;
    void *settings;
};

typedef struct {
    fw_llhttp_cb on_message_begin;
    fw_llhttp_data_cb on_protocol;
    fw_llhttp_data_cb on_url;
    fw_llhttp_data_cb on_status;
    fw_llhttp_data_cb on_method;
    fw_llhttp_data_cb on_version;
    fw_llhttp_data_cb on_header_field;
    fw_llhttp_data_cb on_header_value;
    fw_llhttp_data_cb on_chunk_extension_name;
    fw_llhttp_data_cb on_chunk_extension_value;
    fw_llhttp_cb on_headers_complete;
    fw_llhttp_data_cb on_body;
    fw_llhttp_cb on_message_complete;
    fw_llhttp_cb on_protocol_complete;
    fw_llhttp_cb on_url_complete;
    fw_llhttp_cb on_status_complete;
    fw_llhttp_cb on_method_complete;
    fw_llhttp_cb on_version_complete;
    fw_llhttp_cb on_header_field_complete;
    fw_llhttp_cb on_header_value_complete;
    fw_llhttp_cb on_chunk_extension_name_complete;
    fw_llhttp_cb on_chunk_extension_value_complete;
    fw_llhttp_cb on_chunk_header;
    fw_llhttp_cb on_chunk_complete;
    fw_llhttp_cb on_reset;
} fw_llhttp_settings_t;

_Static_assert(offsetof(fw_llhttp_t, data) == 48, "llhttp_t.data offset");
_Static_assert(offsetof(fw_llhttp_t, settings) == 88, "llhttp_t.settings offset");
_Static_assert(offsetof(fw_llhttp_settings_t, on_url) == 16, "settings.on_url offset");
_Static_assert(offsetof(fw_llhttp_settings_t, on_headers_complete) == 80, "on_headers_complete");
_Static_assert(offsetof(fw_llhttp_settings_t, on_body) == 88, "settings.on_body offset");
_Static_assert(offsetof(fw_llhttp_settings_t, on_reset) == 192, "settings.on_reset offset");

enum {
    FW_HTTP_REQUEST = 1,
    /* llhttp_errno values we act on */
    FW_HPE_OK = 0,
    FW_HPE_INVALID_METHOD = 6,
    FW_HPE_PAUSED = 21,
    FW_HPE_PAUSED_UPGRADE = 22,
    FW_HPE_USER = 24,
    /* llhttp_method values we act on */
    FW_METHOD_GET = 1,
    FW_METHOD_HEAD = 2,
    FW_METHOD_CONNECT = 5,
    /* llhttp_flags */
    FW_F_CONNECTION_KEEP_ALIVE = 0x1,
    FW_F_CONNECTION_CLOSE = 0x2,
    FW_F_CHUNKED = 0x8,
    FW_F_UPGRADE = 0x10,
    FW_F_CONTENT_LENGTH = 0x20,
    FW_F_TRANSFER_ENCODING = 0x200,
};

/* Entry points resolved once by fw_llhttp_load(); called through pointers. */
typedef struct {
    void (*init)(fw_llhttp_t *, int type, const fw_llhttp_settings_t *);
    void (*settings_init)(fw_llhttp_settings_t *);
    int (*execute)(fw_llhttp_t *, const char *data, size_t len);
    void (*resume)(fw_llhttp_t *);
    void (*resume_after_upgrade)(fw_llhttp_t *);
    int (*should_keep_alive)(const fw_llhttp_t *);
    const char *(*errno_name)(int err);
    const char *(*method_name)(int method);
    void (*set_error_reason)(fw_llhttp_t *, const char *reason);
    void (*set_lenient_version)(fw_llhttp_t *, int enabled);
} fw_llhttp_api_t;

extern fw_llhttp_api_t fw_llhttp;

/* Resolve the entry points from the shared object at `path`.
 * Returns NULL on success, else a static message naming what is missing. */
const char *fw_llhttp_load(const char *path);

#endif
