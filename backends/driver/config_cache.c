/* config_cache.c: see config_cache.h. */
#include "config_cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Far above any key a case line (at most 64 KiB) can give; a longer key is simply not kept. */
#define MAX_KEY_LEN (8u * 1024u * 1024u)

/* struct key_writer appends to a key; `files_ok` turns false when a file cannot be stat'ed. */
struct key_writer {
    struct tq_buf *buf;
    bool files_ok;
};

static tq_status put(struct key_writer *w, const void *data, size_t len)
{
    return tq_buf_append(w->buf, data, len);
}

/* put_string writes a length (0: absent, else with the NUL) and the bytes, so no two different
 * sequences of strings encode alike. */
static tq_status put_string(struct key_writer *w, const char *s)
{
    size_t len = s != NULL ? strlen(s) + 1 : 0;
    TQ_GUARD(put(w, &len, sizeof(len)));
    return put(w, s, len);
}

/* put_identity writes what identifies the content of file `path` now (nothing for NULL). */
static tq_status put_identity(struct key_writer *w, const char *path)
{
    struct stat st;
    if (path == NULL)
        return TQ_SUCCESS;
    if (stat(path, &st) != 0) {
        w->files_ok = false; /* `configure` will say what is wrong with it */
        return TQ_SUCCESS;
    }
    const int64_t id[] = {
        (int64_t)st.st_dev,          (int64_t)st.st_ino,          (int64_t)st.st_size,
        (int64_t)st.st_mtim.tv_sec,  (int64_t)st.st_mtim.tv_nsec, (int64_t)st.st_ctim.tv_sec,
        (int64_t)st.st_ctim.tv_nsec,
    };
    return put(w, id, sizeof(id));
}

static tq_status put_file(struct key_writer *w, const char *path)
{
    TQ_GUARD(put_string(w, path));
    return put_identity(w, path);
}

static tq_status put_list(struct key_writer *w, const struct tq_str_list *list, bool files)
{
    const size_t head[] = {list->present, list->num};
    TQ_GUARD(put(w, head, sizeof(head)));
    for (size_t i = 0; i < list->num; i++)
        TQ_GUARD(files ? put_file(w, list->items[i]) : put_string(w, list->items[i]));
    return TQ_SUCCESS;
}

/* encode_key writes every [context] member of `cfg` (backend_ops.h) and no other. */
static tq_status encode_key(struct key_writer *w, const struct tq_client_config *cfg)
{
    const int64_t scalars[] = {cfg->verify_peer, cfg->min_version, cfg->max_version,
                               cfg->max_fragment_length};
    TQ_GUARD(put(w, scalars, sizeof(scalars)));
    TQ_GUARD(put_list(w, &cfg->trust, true));
    TQ_GUARD(put_file(w, cfg->cert));
    TQ_GUARD(put_file(w, cfg->key));
    TQ_GUARD(put_file(w, cfg->chain));
    TQ_GUARD(put_list(w, &cfg->crl, true));
    TQ_GUARD(put_list(w, &cfg->suites, false));
    TQ_GUARD(put_list(w, &cfg->groups, false));
    TQ_GUARD(put_list(w, &cfg->sigalgs, false));
    return put_list(w, &cfg->alpn, false);
}

/* see config_cache.h */
void tq_config_cache_init(struct tq_config_cache *cache, const struct tq_tls_client_ops *ops)
{
    *cache = (struct tq_config_cache){.ops = ops};
    tq_buf_init(&cache->key, MAX_KEY_LEN);
}

/* see config_cache.h */
void tq_config_cache_cleanup(struct tq_config_cache *cache)
{
    if (cache->config != NULL) {
        cache->ops->release(cache->config);
        free(cache->config);
    }
    cache->config = NULL;
    cache->reusable = false;
    tq_buf_cleanup(&cache->key);
}

static bool same_key(const struct tq_config_cache *cache, const struct tq_buf *key)
{
    return cache->config != NULL && cache->reusable && cache->key.len == key->len &&
           memcmp(cache->key.data, key->data, key->len) == 0;
}

/* see config_cache.h */
tq_status tq_config_cache_get(struct tq_config_cache *cache, struct tq_outcome *out,
                              void **out_config, const struct tq_client_config *cfg)
{
    *out_config = NULL;
    /* The key (file identities included) is taken before the files are loaded. */
    struct tq_buf key;
    tq_buf_init(&key, MAX_KEY_LEN);
    struct key_writer w = {.buf = &key, .files_ok = true};
    bool keyed = tq_ok(encode_key(&w, cfg)) && w.files_ok;
    if (keyed && same_key(cache, &key)) {
        tq_buf_cleanup(&key);
        cache->num_reused++;
        *out_config = cache->config;
        return TQ_SUCCESS;
    }
    tq_config_cache_cleanup(cache);
    void *config = calloc(1, cache->ops->config_size > 0 ? cache->ops->config_size : 1);
    if (config == NULL) {
        tq_buf_cleanup(&key);
        out->code = TQ_OUT_UNMAPPED;
        tq_outcome_set_error(out, "out of memory");
        return TQ_STATUS(TQ_ERR_NOMEM);
    }
    cache->num_configured++;
    tq_status st = cache->ops->configure(config, out, cfg);
    if (!tq_ok(st)) {
        cache->ops->release(config);
        free(config);
        tq_buf_cleanup(&key);
        return st;
    }
    cache->config = config;
    cache->reusable = keyed;
    tq_buf_cleanup(&cache->key);
    cache->key = key;
    *out_config = config;
    return TQ_SUCCESS;
}
