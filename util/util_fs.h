/* Small file-system helpers shared by the server's modules. */
#pragma once
#include <sys/types.h>

/* Create the directory that will hold `path` (everything before its last
 * '/'), and any missing parent of it, each new one with `mode` (the umask
 * still applies).  Directories that exist are left as they are.  A path
 * without '/' needs nothing.  Returns 0 or -errno (-ENOTDIR when a
 * component exists and is not a directory). */
int util_mkdir_parent(const char *path, mode_t mode);

/* Remove a directory and everything below it (without following
 * symbolic links): for the runtime directory a DPDK process leaves in
 * /var/run/dpdk/<file-prefix>.  0, or -errno of the first failure; a
 * missing directory is 0. */
int util_rmtree(const char *path);
