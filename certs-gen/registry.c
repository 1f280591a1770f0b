/* registry.c: DIR/registry.json ("tlsqual-registry/1", docs/pki.md), the mock AWS IoT
 * certificate registry the broker reads. Rows with a status other than TQ_REG_ABSENT appear:
 * CA rows under "cas", the others under "certificates". */
#include <string.h>

#include "certs_internal.h"

static const char *const status_names[] = {
    [TQ_REG_ABSENT] = "ABSENT",
    [TQ_REG_ACTIVE] = "ACTIVE",
    [TQ_REG_INACTIVE] = "INACTIVE",
    [TQ_REG_REVOKED] = "REVOKED",
    [TQ_REG_PENDING_TRANSFER] = "PENDING_TRANSFER",
    [TQ_REG_PENDING_ACTIVATION] = "PENDING_ACTIVATION",
    [TQ_REG_REGISTER_INACTIVE] = "REGISTER_INACTIVE",
};

static const char *const mode_names[] = {
    [TQ_MODE_DEFAULT] = "DEFAULT",
    [TQ_MODE_SNI_ONLY] = "SNI_ONLY",
};

static void free_json(json_t **j)
{
    json_decref(*j);
}

/* ca_id is the id of the registered CA that issued row `i` in DEFAULT mode, or JSON null:
 * docs/aws-iot/client-certificates.md#sni-only-registration, a certificate registered without a
 * CA (SNI_ONLY) has no CA id. */
static json_t *ca_id(const struct tq__run *run, size_t i)
{
    size_t issuer = tq__profile_find(run->rows[i].issuer);
    if (run->rows[i].mode != TQ_MODE_DEFAULT || run->rows[issuer].status == TQ_REG_ABSENT)
        return json_null();
    return json_string(run->items[issuer].sha256);
}

static json_t *ca_entry(const struct tq__run *run, size_t i)
{
    const struct tq__profile *p = &run->rows[i];
    return json_pack("{s:s, s:s, s:s+, s:s, s:s, s:b}", "id", run->items[i].sha256, "name", p->name,
                     "cert", p->name, ".pem", "status", status_names[p->status], "mode",
                     mode_names[p->mode], "auto_registration", 0);
}

static json_t *certificate_entry(const struct tq__run *run, size_t i)
{
    const struct tq__profile *p = &run->rows[i];
    return json_pack("{s:s, s:s, s:s+, s:s, s:s, s:s, s:o}", "id", run->items[i].sha256, "name",
                     p->name, "cert", p->name, ".pem", "status", status_names[p->status], "mode",
                     mode_names[p->mode], "thing", p->name, "ca", ca_id(run, i));
}

/* see certs_internal.h */
tq_status tq__registry_update(struct tq_diag *diag, struct tq__run *run)
{
    json_t *cas TQ_DEFER(free_json) = json_array();
    json_t *certificates TQ_DEFER(free_json) = json_array();
    TQ_ENSURE(cas != NULL && certificates != NULL, TQ_ERR_NOMEM);
    for (size_t i = 0; i < run->num_rows; i++) {
        const struct tq__profile *p = &run->rows[i];
        if (p->status == TQ_REG_ABSENT || p->alias_of != NULL)
            continue;
        bool is_ca = (p->ext & TQ_EXT_CA) != 0;
        json_t *entry = is_ca ? ca_entry(run, i) : certificate_entry(run, i);
        TQ_ENSURE(entry != NULL, TQ_ERR_NOMEM);
        TQ_ENSURE(json_array_append_new(is_ca ? cas : certificates, entry) == 0, TQ_ERR_NOMEM);
    }
    json_t *root TQ_DEFER(free_json) = json_pack("{s:s, s:O, s:O}", "format", "tlsqual-registry/1",
                                                 "cas", cas, "certificates", certificates);
    TQ_ENSURE(root != NULL, TQ_ERR_NOMEM);
    return tq__json_write_if_changed(diag, run, "registry.json", root);
}
