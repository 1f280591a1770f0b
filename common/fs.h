/* fs.h: file-system helpers. Every report, key and registry file is written through
 * tq_fs_write_atomic, so a reader never sees half a file, even after a crash. */
#ifndef TQ_FS_H
#define TQ_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "status.h"

/* tq_fs_write_atomic writes `data_len` bytes of `data` to `path` with permission `mode`: it
 * writes a temporary file in the same folder, syncs it, renames it over `path` and syncs the
 * folder. The file never exists with other permissions, so a key written 0600 is never readable
 * by others, not even briefly. */
TQ_MUST_USE tq_status tq_fs_write_atomic(struct tq_diag *diag, const char *path, const void *data,
                                         size_t data_len, mode_t mode);

/* tq_fs_read_all reads the whole file at `path` into a new NUL-terminated buffer in `*out`
 * (length in `*out_len`, without the NUL). It fails with TQ_ERR_LIMIT when the file is larger
 * than `max_len`. The caller frees `*out`. */
TQ_MUST_USE tq_status tq_fs_read_all(struct tq_diag *diag, char **out, size_t *out_len,
                                     const char *path, size_t max_len);

/* tq_fs_mkdirs creates `path` and its missing parents with mode `mode` (like mkdir -p). */
TQ_MUST_USE tq_status tq_fs_mkdirs(struct tq_diag *diag, const char *path, mode_t mode);

/* tq_fs_exists is true when something exists at `path`. */
int tq_fs_exists(const char *path);

/* tq_fs_join writes "dir/name" into `out`; fails with TQ_ERR_LIMIT if it does not fit. */
TQ_MUST_USE tq_status tq_fs_join(struct tq_diag *diag, char *out, size_t out_len, const char *dir,
                                 const char *name);

/* tq_fs_self_dir writes the folder of the running executable into `out`. */
TQ_MUST_USE tq_status tq_fs_self_dir(struct tq_diag *diag, char *out, size_t out_len);

#endif
