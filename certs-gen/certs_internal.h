/* certs_internal.h: what the files of certs-gen share; not part of the public API.
 *
 * certs-gen is driven by one table (profiles.c): one `struct tq__profile` row per artifact.
 * A generation run (`struct tq__run`) walks the table in order, so every issuer, key owner,
 * alias target and chain member must appear before the rows that refer to it
 * (tq__profiles_check enforces this). Functions here return tq_status like every module;
 * OpenSSL objects are owned by the run and freed by tq__run_cleanup. */
#ifndef TQ_CERTS_INTERNAL_H
#define TQ_CERTS_INTERNAL_H

#include <jansson.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "certs.h"
#include "status.h"

/* The endpoint host names, under RFC 2606's reserved `.test` (recorded in the manifest). */
#define TQ_ENDPOINT_ATS "d000000000000000-ats.iot.us-east-1.amazonaws.test"
#define TQ_ENDPOINT_LEGACY "d000000000000000.iot.us-east-1.amazonaws.test"

/* A certificate is renewed when it would change state (become valid or expire) within this
 * many days, so what a scenario expects stays true for at least that long. */
enum { TQ_CERTS_RENEW_MARGIN_DAYS = 30 };

enum tq__key_type {
    TQ_KEY_RSA_1024,
    TQ_KEY_RSA_2048,
    TQ_KEY_RSA_4096,
    TQ_KEY_EC_P256,
    TQ_KEY_EC_P384,
    TQ_KEY_EC_P521,
    TQ_KEY_DSA_2048,
};

enum tq__digest {
    TQ_SIG_SHA256 = 0, /* the zero value: a row that names no digest gets SHA-256 */
    TQ_SIG_SHA1,
    TQ_SIG_SHA384,
    TQ_SIG_SHA512,
    TQ_SIG_PSS_SHA256, /* RSASSA-PSS, SHA-256, MGF1-SHA-256, salt = digest length */
};

/* Extension bits of a profile row. */
enum {
    TQ_EXT_CA = 1u << 0,       /* basicConstraints CA:TRUE, keyUsage keyCertSign, cRLSign */
    TQ_EXT_PATHLEN0 = 1u << 1, /* with TQ_EXT_CA: pathlen:0 (an issuing intermediate) */
    TQ_EXT_SERVER = 1u << 2,   /* extendedKeyUsage serverAuth */
    TQ_EXT_CLIENT = 1u << 3,   /* extendedKeyUsage clientAuth */
    TQ_EXT_CRL = 1u << 4,      /* this CA signs NAME.crl.pem listing its revoked rows */
};

/* Registry status of a row (docs/pki.md, registry.json). TQ_REG_ABSENT: not in the registry. */
enum tq__reg_status {
    TQ_REG_ABSENT = 0,
    TQ_REG_ACTIVE,
    TQ_REG_INACTIVE,
    TQ_REG_REVOKED,
    TQ_REG_PENDING_TRANSFER,
    TQ_REG_PENDING_ACTIVATION,
    TQ_REG_REGISTER_INACTIVE,
};

enum tq__reg_mode { TQ_MODE_DEFAULT = 0, TQ_MODE_SNI_ONLY };

enum tq__flaw {
    TQ_FLAW_NONE = 0,
    TQ_FLAW_MALFORMED, /* one byte of the issuer name flipped after signing */
};

/* struct tq__profile is one artifact. Names refer to other rows, which come earlier. */
struct tq__profile {
    const char *name;           /* kebab-case, stable: scenarios refer to it */
    const char *role;           /* server-root, server-cross, server-intermediate, server-leaf,
                                  device-ca, device */
    const char *purpose;        /* one line for docs/pki.md and the manifest */
    const char *alias_of;       /* a chain variant: that row's certificate and key, own chain */
    const char *issuer;         /* the signing row; the row's own name when self-signed */
    const char *subject;        /* RFC 2253, most specific first: "CN=x,O=y,C=US" */
    const char *key_of;         /* use that row's key (a cross-sign); NULL: own NAME.key */
    const char *mismatched_key; /* the certificate carries that row's public key, but the
                                  manifest pairs it with NAME.key (a wrong-key device) */
    enum tq__key_type key_type;
    enum tq__digest digest; /* the issuer signs with this digest */
    int not_before_days;    /* relative to the time of generation */
    int not_after_days;
    unsigned ext;         /* TQ_EXT_* */
    const char *san;      /* subjectAltName in OpenSSL config syntax, or NULL */
    bool leaf;            /* gets NAME.chain.pem: itself then `chain` */
    const char *chain[4]; /* the certificates a peer sends after this one */
    bool revoked;         /* listed in the issuer's CRL */
    enum tq__flaw flaw;
    enum tq__reg_status status;
    enum tq__reg_mode mode;
};

/* tq__profiles returns the table and its length in `*out_num`. */
const struct tq__profile *tq__profiles(size_t *out_num);

/* tq__profile_find returns the index of the row called `name`, or SIZE_MAX. */
size_t tq__profile_find(const char *name);

/* tq__profiles_check verifies the table's invariants (unique names, references to earlier
 * rows, consistent key types); a failure is a programming error reported as TQ_ERR_INTERNAL. */
TQ_MUST_USE tq_status tq__profiles_check(struct tq_diag *diag);

/* Indexes derived from a row: the row whose certificate it uses (an alias's target), whose key
 * file the manifest names, and whose public key its certificate carries. */
size_t tq__cert_row(size_t i);
size_t tq__key_row(size_t i);
size_t tq__pubkey_row(size_t i);

/* tq__owns_key is true for the rows that own NAME.key. */
bool tq__owns_key(size_t i);

/* Algorithms (algorithms.c). Names are never NULL. */
const char *tq__key_type_name(enum tq__key_type type); /* "RSA-2048", "EC-P256", ... */
bool tq__key_has_type(EVP_PKEY *key, enum tq__key_type type);
unsigned tq__key_cost(enum tq__key_type type); /* rough relative keygen time */
TQ_MUST_USE tq_status tq__key_generate(struct tq_diag *diag, EVP_PKEY **out,
                                       enum tq__key_type type);
/* tq__signature_nid is the NID of the signature a key of `issuer_type` makes with `digest`. */
int tq__signature_nid(enum tq__key_type issuer_type, enum tq__digest digest);
/* tq__sign_ctx_new prepares `*out` to sign with `key` and `digest` (X509_sign_ctx). */
TQ_MUST_USE tq_status tq__sign_ctx_new(struct tq_diag *diag, EVP_MD_CTX **out, EVP_PKEY *key,
                                       enum tq__digest digest);

/* struct tq__item is the state of one row during a run. */
struct tq__item {
    EVP_PKEY *key;   /* rows that own a key */
    X509 *cert;      /* rows with a certificate of their own */
    json_t *entry;   /* the manifest entry, once the certificate is settled */
    char sha256[65]; /* of the DER certificate (the alias target's for an alias) */
    bool key_generated;
    bool cert_issued;
};

struct tq__run {
    char dir[PATH_MAX];
    time_t now;
    bool force;
    size_t num_rows;
    const struct tq__profile *rows;
    struct tq__item *items;
    json_t *old_manifest; /* the previous manifest.json, or NULL */
    struct tq_certs_counts counts;
};

/* tq__run_cleanup frees everything the run holds; safe on a zeroed run. */
void tq__run_cleanup(struct tq__run *run);

/* tq__path writes DIR/NAME+suffix into `out` (PATH_MAX bytes). */
TQ_MUST_USE tq_status tq__path(struct tq_diag *diag, char *out, const struct tq__run *run,
                               const char *name, const char *suffix);

/* tq__crypto_fail records an OpenSSL failure (with its first queued error) and clears the
 * queue. */
TQ_MUST_USE tq_status tq__crypto_fail(struct tq_diag *diag, const char *path, const char *what);

/* Keys (keys.c): loads every reusable key and generates the others in parallel. */
TQ_MUST_USE tq_status tq__keys_prepare(struct tq_diag *diag, struct tq__run *run);

/* Certificates (x509.c, freshness.c). */
TQ_MUST_USE tq_status tq__cert_issue(struct tq_diag *diag, X509 **out, struct tq__run *run,
                                     size_t i);
TQ_MUST_USE tq_status tq__name_from_rfc2253(struct tq_diag *diag, X509_NAME **out,
                                            const char *text);
/* tq__cert_is_current is true when the certificate on disk can be kept for row `i`. */
bool tq__cert_is_current(struct tq__run *run, size_t i, X509 *cert);
/* tq__cert_sha256 writes the lowercase hex SHA-256 of the DER certificate into `out`. */
TQ_MUST_USE tq_status tq__cert_sha256(struct tq_diag *diag, char out[65], X509 *cert);
TQ_MUST_USE tq_status tq__certs_settle(struct tq_diag *diag, struct tq__run *run);

/* Output files (outputs.c). PEM encoders return a new NUL-terminated buffer. */
TQ_MUST_USE tq_status tq__pem_cert(struct tq_diag *diag, char **out, size_t *out_len, X509 *c);
TQ_MUST_USE tq_status tq__pem_key(struct tq_diag *diag, char **out, size_t *out_len, EVP_PKEY *k);
TQ_MUST_USE tq_status tq__pem_crl(struct tq_diag *diag, char **out, size_t *out_len, X509_CRL *crl);
/* tq__write_if_changed writes `data` to `path` (atomically, with `mode`) unless the file
 * already holds exactly that with that mode. */
TQ_MUST_USE tq_status tq__write_if_changed(struct tq_diag *diag, struct tq__run *run,
                                           const char *path, const char *data, size_t data_len,
                                           mode_t mode);
TQ_MUST_USE tq_status tq__write_new(struct tq_diag *diag, struct tq__run *run, const char *path,
                                    const char *data, size_t data_len, mode_t mode);
TQ_MUST_USE tq_status tq__chains_update(struct tq_diag *diag, struct tq__run *run);

/* CRLs (crl.c): every TQ_EXT_CRL row gets a current NAME.crl.pem. */
TQ_MUST_USE tq_status tq__crls_update(struct tq_diag *diag, struct tq__run *run);

/* Index files (manifest_write.c, registry.c). */
TQ_MUST_USE tq_status tq__manifest_entry(struct tq_diag *diag, json_t **out, struct tq__run *run,
                                         size_t i, X509 *cert);
TQ_MUST_USE tq_status tq__manifest_update(struct tq_diag *diag, struct tq__run *run);
TQ_MUST_USE tq_status tq__registry_update(struct tq_diag *diag, struct tq__run *run);
/* tq__json_write_if_changed serialises `root` and writes it with tq__write_if_changed. */
TQ_MUST_USE tq_status tq__json_write_if_changed(struct tq_diag *diag, struct tq__run *run,
                                                const char *file, json_t *root);

#endif
