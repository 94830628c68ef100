/* Process-level helpers.  No return values to check. */
#ifndef FW_SYS_H
#define FW_SYS_H

/* Give the free pages of the C heap back to the kernel (glibc's
 * malloc_trim(0); nothing with other C libraries). */
void fw_release_free_memory(void);

#endif
