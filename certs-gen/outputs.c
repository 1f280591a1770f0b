/* outputs.c: PEM encoding, the files of a run, and the chain files. Every file is written with
 * tq_fs_write_atomic; a file that already holds the right bytes is left alone. */
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bytes.h"
#include "certs_internal.h"
#include "fs.h"

enum { MAX_OUTPUT_FILE = 4 << 20, MAX_CHAIN_CERTS = 5 };

/* see certs_internal.h */
tq_status tq__path(struct tq_diag *diag, char *out, const struct tq__run *run, const char *name,
                   const char *suffix)
{
    char file[NAME_MAX + 1];
    int n = snprintf(file, sizeof(file), "%s%s", name, suffix);
    if (n < 0 || (size_t)n >= sizeof(file))
        return tq_diag_fail(diag, TQ_ERR_LIMIT, run->dir, 0, "file name too long: %s", name);
    return tq_fs_join(diag, out, PATH_MAX, run->dir, file);
}

/* bio_take moves the contents of a memory BIO into a new NUL-terminated buffer. */
static tq_status bio_take(struct tq_diag *diag, char **out, size_t *out_len, BIO *bio, int ok)
{
    char *data = NULL;
    long len = ok ? BIO_get_mem_data(bio, &data) : 0;
    *out = len > 0 ? malloc((size_t)len + 1) : NULL;
    if (*out == NULL) {
        BIO_free(bio);
        return tq__crypto_fail(diag, NULL, "encode PEM");
    }
    memcpy(*out, data, (size_t)len);
    (*out)[len] = '\0';
    *out_len = (size_t)len;
    BIO_free(bio);
    return TQ_SUCCESS;
}

/* see certs_internal.h */
tq_status tq__pem_cert(struct tq_diag *diag, char **out, size_t *out_len, X509 *c)
{
    BIO *bio = BIO_new(BIO_s_mem());
    return bio_take(diag, out, out_len, bio, bio && PEM_write_bio_X509(bio, c));
}

/* see certs_internal.h */
tq_status tq__pem_key(struct tq_diag *diag, char **out, size_t *out_len, EVP_PKEY *k)
{
    BIO *bio = BIO_new(BIO_s_mem());
    return bio_take(diag, out, out_len, bio,
                    bio && PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL));
}

/* see certs_internal.h */
tq_status tq__pem_crl(struct tq_diag *diag, char **out, size_t *out_len, X509_CRL *crl)
{
    BIO *bio = BIO_new(BIO_s_mem());
    return bio_take(diag, out, out_len, bio, bio && PEM_write_bio_X509_CRL(bio, crl));
}

static bool holds(const char *path, const char *data, size_t data_len, mode_t mode)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || (sb.st_mode & 07777) != mode || (size_t)sb.st_size != data_len)
        return false;
    char *old TQ_DEFER(tq_free_ptr) = NULL;
    size_t old_len = 0;
    return tq_ok(tq_fs_read_all(NULL, &old, &old_len, path, MAX_OUTPUT_FILE)) &&
           old_len == data_len && memcmp(old, data, data_len) == 0;
}

/* see certs_internal.h */
tq_status tq__write_new(struct tq_diag *diag, struct tq__run *run, const char *path,
                        const char *data, size_t data_len, mode_t mode)
{
    TQ_GUARD(tq_fs_write_atomic(diag, path, data, data_len, mode));
    run->counts.files_written++;
    return TQ_SUCCESS;
}

/* see certs_internal.h */
tq_status tq__write_if_changed(struct tq_diag *diag, struct tq__run *run, const char *path,
                               const char *data, size_t data_len, mode_t mode)
{
    if (holds(path, data, data_len, mode))
        return TQ_SUCCESS;
    return tq__write_new(diag, run, path, data, data_len, mode);
}

static tq_status append_cert(struct tq_diag *diag, struct tq_buf *buf, X509 *cert)
{
    char *pem TQ_DEFER(tq_free_ptr) = NULL;
    size_t len = 0;
    TQ_GUARD(tq__pem_cert(diag, &pem, &len, cert));
    return tq_buf_append(buf, pem, len);
}

static tq_status write_chain(struct tq_diag *diag, struct tq__run *run, size_t i)
{
    const struct tq__profile *p = &run->rows[i];
    struct tq_buf buf TQ_DEFER(tq_buf_cleanup);
    tq_buf_init(&buf, MAX_OUTPUT_FILE);
    TQ_GUARD(append_cert(diag, &buf, run->items[tq__cert_row(i)].cert));
    for (size_t k = 0; k < sizeof(p->chain) / sizeof(p->chain[0]) && p->chain[k]; k++) {
        size_t member = tq__cert_row(tq__profile_find(p->chain[k]));
        TQ_GUARD(append_cert(diag, &buf, run->items[member].cert));
    }
    char path[PATH_MAX];
    TQ_GUARD(tq__path(diag, path, run, p->name, ".chain.pem"));
    return tq__write_if_changed(diag, run, path, (const char *)buf.data, buf.len, 0644);
}

/* see certs_internal.h */
tq_status tq__chains_update(struct tq_diag *diag, struct tq__run *run)
{
    for (size_t i = 0; i < run->num_rows; i++)
        if (run->rows[i].leaf)
            TQ_GUARD(write_chain(diag, run, i));
    return TQ_SUCCESS;
}
