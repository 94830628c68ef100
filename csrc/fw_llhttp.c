#include "fw_llhttp.h"

#include <dlfcn.h>
#include <string.h>

fw_llhttp_api_t fw_llhttp;

/* dlsym returns void*; converting it to a function pointer is what POSIX
 * requires to work, but ISO C does not define it, hence the memcpy. */
static int resolve(void *lib, const char *name, void *slot, size_t size)
{
    void *sym = dlsym(lib, name);
    if (sym == NULL)
        return -1;
    memcpy(slot, &sym, size);
    return 0;
}

#define RESOLVE(field, name)                                                  \
    if (resolve(lib, name, &fw_llhttp.field, sizeof(fw_llhttp.field)) < 0)    \
        return "httptools' parser does not export " name;

const char *fw_llhttp_load(const char *path)
{
    /* The module is normally imported already: dlopen then just returns the
     * loaded copy, and RTLD_NOLOAD is not used so a fresh path also works. */
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL)
        return "cannot dlopen httptools' parser extension";
    /* Only llhttp >= 9.3 has on_protocol, the field that shifts the settings
     * layout declared in fw_llhttp.h. */
    if (dlsym(lib, "llhttp__on_protocol") == NULL)
        return "httptools' llhttp is older than 9.3 (need httptools>=0.7.1)";
    RESOLVE(init, "llhttp_init");
    RESOLVE(settings_init, "llhttp_settings_init");
    RESOLVE(execute, "llhttp_execute");
    RESOLVE(resume, "llhttp_resume");
    RESOLVE(resume_after_upgrade, "llhttp_resume_after_upgrade");
    RESOLVE(should_keep_alive, "llhttp_should_keep_alive");
    RESOLVE(errno_name, "llhttp_errno_name");
    RESOLVE(method_name, "llhttp_method_name");
    RESOLVE(set_error_reason, "llhttp_set_error_reason");
    RESOLVE(set_lenient_version, "llhttp_set_lenient_version");
    return NULL;
}
