/* keys.c: private keys are kept between runs; the missing ones are generated in parallel.
 * RSA keygen is slow and variable (RSA-4096 up to ~3 s on the development machine), so a key
 * that exists, parses, has the profile's type and mode 0600 is never regenerated. */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certs_internal.h"
#include "fs.h"

enum { MAX_KEY_FILE = 64 * 1024, MAX_THREADS = 16 };

struct keygen_job {
    size_t row;
    enum tq__key_type type;
    EVP_PKEY *key;
    struct tq_diag diag;
    tq_status st;
};

struct keygen_pool {
    struct keygen_job *jobs;
    size_t num_jobs;
    atomic_size_t next;
};

/* load_key sets `*out` to the key in `path` when it can be kept as it is. */
static void load_key(EVP_PKEY **out, const char *path, enum tq__key_type type)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0 || (sb.st_mode & 0777) != 0600)
        return;
    char *pem TQ_DEFER(tq_free_ptr) = NULL;
    size_t len = 0;
    if (!tq_ok(tq_fs_read_all(NULL, &pem, &len, path, MAX_KEY_FILE)))
        return;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    ERR_clear_error();
    if (key != NULL && !tq__key_has_type(key, type)) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    *out = key;
}

static void *keygen_worker(void *arg)
{
    struct keygen_pool *pool = arg;
    for (;;) {
        size_t j = atomic_fetch_add(&pool->next, 1);
        if (j >= pool->num_jobs)
            return NULL;
        struct keygen_job *job = &pool->jobs[j];
        job->st = tq__key_generate(&job->diag, &job->key, job->type);
    }
}

static int by_cost_descending(const void *a, const void *b)
{
    unsigned ca = tq__key_cost(((const struct keygen_job *)a)->type);
    unsigned cb = tq__key_cost(((const struct keygen_job *)b)->type);
    return (ca < cb) - (ca > cb);
}

/* run_pool generates every job's key on up to one thread per processor. */
static void run_pool(struct keygen_pool *pool)
{
    qsort(pool->jobs, pool->num_jobs, sizeof(*pool->jobs), by_cost_descending);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t num_threads = cpus < 1 ? 1 : (size_t)cpus;
    num_threads = num_threads > MAX_THREADS ? MAX_THREADS : num_threads;
    num_threads = num_threads > pool->num_jobs ? pool->num_jobs : num_threads;
    pthread_t threads[MAX_THREADS];
    size_t started = 0;
    /* The calling thread is one of the workers; a thread that cannot start is not needed. */
    while (started + 1 < num_threads &&
           pthread_create(&threads[started], NULL, keygen_worker, pool) == 0)
        started++;
    keygen_worker(pool);
    for (size_t t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
}

static tq_status store_key(struct tq_diag *diag, struct tq__run *run, size_t row)
{
    char path[PATH_MAX];
    TQ_GUARD(tq__path(diag, path, run, run->rows[row].name, ".key"));
    char *pem TQ_DEFER(tq_free_ptr) = NULL;
    size_t len = 0;
    TQ_GUARD(tq__pem_key(diag, &pem, &len, run->items[row].key));
    return tq__write_new(diag, run, path, pem, len, 0600);
}

static tq_status collect_jobs(struct tq_diag *diag, struct tq__run *run, struct keygen_pool *pool)
{
    for (size_t i = 0; i < run->num_rows; i++) {
        if (!tq__owns_key(i))
            continue;
        char path[PATH_MAX];
        TQ_GUARD(tq__path(diag, path, run, run->rows[i].name, ".key"));
        load_key(&run->items[i].key, path, run->rows[i].key_type);
        if (run->items[i].key != NULL) {
            run->counts.keys_kept++;
            continue;
        }
        pool->jobs[pool->num_jobs++] = (struct keygen_job){
            .row = i, .type = run->rows[i].key_type, .st = TQ_STATUS(TQ_ERR_INTERNAL)};
    }
    return TQ_SUCCESS;
}

/* see certs_internal.h */
tq_status tq__keys_prepare(struct tq_diag *diag, struct tq__run *run)
{
    struct keygen_pool pool = {.jobs = calloc(run->num_rows, sizeof(*pool.jobs))};
    struct keygen_job *jobs TQ_DEFER(tq_free_ptr) = pool.jobs;
    TQ_ENSURE(jobs != NULL, TQ_ERR_NOMEM);
    atomic_init(&pool.next, 0);
    TQ_GUARD(collect_jobs(diag, run, &pool));
    if (pool.num_jobs > 0)
        run_pool(&pool);
    tq_status st = TQ_SUCCESS;
    for (size_t j = 0; j < pool.num_jobs; j++) {
        struct tq__item *item = &run->items[jobs[j].row];
        item->key = jobs[j].key; /* the run owns every key, even after a failure */
        if (!tq_ok(jobs[j].st) && tq_ok(st)) {
            if (diag != NULL)
                *diag = jobs[j].diag;
            st = jobs[j].st;
        }
    }
    TQ_GUARD(st);
    for (size_t j = 0; j < pool.num_jobs; j++) {
        run->items[jobs[j].row].key_generated = true;
        run->counts.keys_generated++;
        TQ_GUARD(store_key(diag, run, jobs[j].row));
    }
    return TQ_SUCCESS;
}
