#include "digest.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

/* see digest.h */
tq_status tq_digest_init(struct tq_digest *d)
{
    *d = (struct tq_digest){.st = TQ_SUCCESS};
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    TQ_ENSURE(ctx != NULL, TQ_ERR_NOMEM);
    d->ctx = ctx;
    TQ_ENSURE(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1, TQ_ERR_CRYPTO);
    return TQ_SUCCESS;
}

/* see digest.h */
void tq_digest_cleanup(struct tq_digest *d)
{
    EVP_MD_CTX_free(d->ctx);
    d->ctx = NULL;
}

static void feed(struct tq_digest *d, const void *data, size_t len)
{
    if (tq_ok(d->st) && EVP_DigestUpdate(d->ctx, data, len) != 1)
        d->st = TQ_STATUS(TQ_ERR_CRYPTO);
}

/* frame feeds a kind byte and a 64-bit big-endian length: the framing that keeps fields apart. */
static void frame(struct tq_digest *d, unsigned char kind, uint64_t len)
{
    unsigned char head[9] = {kind};
    for (int i = 0; i < 8; i++)
        head[1 + i] = (unsigned char)(len >> (56 - 8 * i));
    feed(d, head, sizeof(head));
}

/* see digest.h */
void tq_digest_add(struct tq_digest *d, const char *label, const void *data, size_t len)
{
    frame(d, 'L', strlen(label));
    feed(d, label, strlen(label));
    frame(d, 'D', len);
    feed(d, data, len);
}

/* see digest.h */
void tq_digest_add_str(struct tq_digest *d, const char *label, const char *s)
{
    if (s != NULL)
        return tq_digest_add(d, label, s, strlen(s));
    frame(d, 'L', strlen(label));
    feed(d, label, strlen(label));
    frame(d, 'N', 0);
}

/* see digest.h */
tq_status tq_digest_add_file(struct tq_diag *diag, struct tq_digest *d, const char *label,
                             const char *path, size_t max_len)
{
    char *data = NULL;
    size_t len = 0;
    TQ_GUARD(tq_fs_read_all(diag, &data, &len, path, max_len));
    tq_digest_add(d, label, data, len);
    free(data);
    return TQ_SUCCESS;
}

/* see digest.h */
tq_status tq_digest_final(struct tq_digest *d, char out[TQ_DIGEST_TEXT_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    TQ_GUARD(d->st);
    TQ_ENSURE(EVP_DigestFinal_ex(d->ctx, md, &md_len) == 1 && md_len == 32, TQ_ERR_CRYPTO);
    static const char hex[] = "0123456789abcdef";
    memcpy(out, "sha256:", 7);
    for (unsigned i = 0; i < md_len; i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[8 + 2 * i] = hex[md[i] & 15];
    }
    out[7 + 2 * md_len] = '\0';
    d->st = TQ_STATUS(TQ_ERR_USAGE); /* finalised: further adds would be lost */
    return TQ_SUCCESS;
}
