#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static tq_status io_fail(struct tq_diag *diag, const char *path, const char *what)
{
    return tq_diag_fail(diag, TQ_ERR_IO, path, 0, "cannot %s: %s", what, strerror(errno));
}

static tq_status write_fully(struct tq_diag *diag, int fd, const char *path, const void *data,
                             size_t data_len)
{
    const char *p = data;
    while (data_len > 0) {
        ssize_t n = write(fd, p, data_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return io_fail(diag, path, "write");
        p += n;
        data_len -= (size_t)n;
    }
    return TQ_SUCCESS;
}

static void sync_parent_dir(const char *path)
{
    char copy[PATH_MAX];
    snprintf(copy, sizeof(copy), "%s", path);
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
}

/* see fs.h */
tq_status tq_fs_write_atomic(struct tq_diag *diag, const char *path, const void *data,
                             size_t data_len, mode_t mode)
{
    char tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return tq_diag_fail(diag, TQ_ERR_LIMIT, path, 0, "path too long");
    int fd TQ_DEFER(tq_close_fd) = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return io_fail(diag, path, "create a temporary file beside");
    tq_status st = TQ_STATUS(TQ_ERR_IO);
    if (fchmod(fd, mode) != 0) {
        st = io_fail(diag, tmp, "set the mode of");
    } else if (tq_ok(st = write_fully(diag, fd, tmp, data, data_len))) {
        if (fsync(fd) != 0)
            st = io_fail(diag, tmp, "sync");
        else if (rename(tmp, path) != 0)
            st = io_fail(diag, path, "rename a temporary file to");
    }
    if (!tq_ok(st)) {
        unlink(tmp);
        return st;
    }
    sync_parent_dir(path);
    return TQ_SUCCESS;
}

/* see fs.h */
tq_status tq_fs_read_all(struct tq_diag *diag, char **out, size_t *out_len, const char *path,
                         size_t max_len)
{
    *out = NULL;
    *out_len = 0;
    int fd TQ_DEFER(tq_close_fd) = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return io_fail(diag, path, "open");
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return io_fail(diag, path, "stat");
    if (!S_ISREG(sb.st_mode))
        return tq_diag_fail(diag, TQ_ERR_IO, path, 0, "not a regular file");
    if ((size_t)sb.st_size > max_len)
        return tq_diag_fail(diag, TQ_ERR_LIMIT, path, 0,
                            "file is %lld bytes, more than the limit of %zu", (long long)sb.st_size,
                            max_len);
    char *buf = malloc((size_t)sb.st_size + 1);
    if (buf == NULL)
        return tq_diag_fail(diag, TQ_ERR_NOMEM, path, 0, "out of memory");
    size_t got = 0;
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(buf);
            return n == 0 ? tq_diag_fail(diag, TQ_ERR_IO, path, 0, "file shrank while read")
                          : io_fail(diag, path, "read");
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    *out = buf;
    *out_len = got;
    return TQ_SUCCESS;
}

/* see fs.h */
tq_status tq_fs_mkdirs(struct tq_diag *diag, const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    int n = snprintf(buf, sizeof(buf), "%s", path);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return tq_diag_fail(diag, TQ_ERR_LIMIT, path, 0, "path too long");
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return io_fail(diag, buf, "create folder");
        *p = '/';
    }
    if (mkdir(buf, mode) != 0 && errno != EEXIST)
        return io_fail(diag, buf, "create folder");
    return TQ_SUCCESS;
}

/* see fs.h */
int tq_fs_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* see fs.h */
tq_status tq_fs_join(struct tq_diag *diag, char *out, size_t out_len, const char *dir,
                     const char *name)
{
    int n = snprintf(out, out_len, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= out_len)
        return tq_diag_fail(diag, TQ_ERR_LIMIT, dir, 0, "path too long for '%s'", name);
    return TQ_SUCCESS;
}

/* see fs.h */
tq_status tq_fs_self_dir(struct tq_diag *diag, char *out, size_t out_len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n < 0)
        return io_fail(diag, "/proc/self/exe", "read link");
    exe[n] = '\0';
    int w = snprintf(out, out_len, "%s", dirname(exe));
    if (w < 0 || (size_t)w >= out_len)
        return tq_diag_fail(diag, TQ_ERR_LIMIT, exe, 0, "path too long");
    return TQ_SUCCESS;
}
