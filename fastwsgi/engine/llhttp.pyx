# llhttp glue: resolve the C API from httptools' extension and route its
# callbacks to the Connection stored in parser.data.  Callbacks never raise:
# a Connection method returns -1 after recording what went wrong, llhttp
# stops, and Connection._process() turns that into a response.

cdef fw_llhttp_settings_t _llhttp_settings

# Interned method names by llhttp's method number, filled from the first
# request that uses each: no str is built per request.  (llhttp_method_name()
# aborts on numbers it does not know, so it is not used to prefill.)
cdef list _METHOD_NAMES = [None] * 256


cdef int _cb_message_begin(fw_llhttp_t *p) noexcept:
    return (<Connection>p.data)._on_message_begin()

cdef int _cb_method(fw_llhttp_t *p, const char *at, size_t n) noexcept:
    return (<Connection>p.data)._on_method(at, n)

cdef int _cb_url(fw_llhttp_t *p, const char *at, size_t n) noexcept:
    return (<Connection>p.data)._on_url(at, n)

cdef int _cb_header_field(fw_llhttp_t *p, const char *at, size_t n) noexcept:
    return (<Connection>p.data)._on_header_field(at, n)

cdef int _cb_header_value(fw_llhttp_t *p, const char *at, size_t n) noexcept:
    return (<Connection>p.data)._on_header_value(at, n)

cdef int _cb_header_value_complete(fw_llhttp_t *p) noexcept:
    return (<Connection>p.data)._on_header_complete()

cdef int _cb_headers_complete(fw_llhttp_t *p) noexcept:
    return (<Connection>p.data)._on_headers_complete()

cdef int _cb_body(fw_llhttp_t *p, const char *at, size_t n) noexcept:
    return (<Connection>p.data)._on_body(at, n)

cdef int _cb_message_complete(fw_llhttp_t *p) noexcept:
    return (<Connection>p.data)._on_message_complete()


def _load_llhttp():
    import httptools
    from httptools.parser import parser as _httptools_parser

    err = fw_llhttp_load(os.fsencode(_httptools_parser.__file__))
    if err != NULL:
        raise ImportError(
            f"fastwsgi: {err.decode()} (httptools {httptools.__version__} found; "
            f"install httptools>=0.7.1,<0.10)")
    fw_llhttp.settings_init(&_llhttp_settings)
    _llhttp_settings.on_message_begin = _cb_message_begin
    _llhttp_settings.on_method = _cb_method
    _llhttp_settings.on_url = _cb_url
    _llhttp_settings.on_header_field = _cb_header_field
    _llhttp_settings.on_header_value = _cb_header_value
    _llhttp_settings.on_header_value_complete = _cb_header_value_complete
    _llhttp_settings.on_headers_complete = _cb_headers_complete
    _llhttp_settings.on_body = _cb_body
    _llhttp_settings.on_message_complete = _cb_message_complete


_load_llhttp()
