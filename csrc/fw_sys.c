#include "fw_sys.h"

#ifdef __GLIBC__
#include <malloc.h>
void fw_release_free_memory(void) { malloc_trim(0); }
#else
void fw_release_free_memory(void) {}
#endif
