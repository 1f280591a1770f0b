/* Device Defender audit findings from what the broker observed: StartOnDemandAuditTask and
 * ListAuditFindings for DEVICE_CERTIFICATE_SHARED_CHECK and CONFLICTING_CLIENT_IDS_CHECK
 * (docs/aws-iot/devices.md#audit-checks). A task takes a snapshot of the observations when it
 * starts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_internal.h"
#include "broker_internal.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Bounds, so that a long run cannot grow the records without limit. */
enum {
    MAX_RECORDS = 1024, /* certificates, and client IDs, observed */
    MAX_CLIENTS_PER_CERT = 64,
    MAX_TASKS = 64, /* older tasks are forgotten */
    MAX_RESULTS_DEFAULT = 25,
};

struct tq_audit {
    json_t *shared;    /* certId -> {clientId -> {"first": t, "last": t}} */
    json_t *conflicts; /* clientId -> {"first": t, "last": t, "count": n, "certs": {id: 1}} */
    json_t *tasks;     /* [{"taskId", "taskStartTime", "findings": [...]}], oldest first */
    unsigned long next_task;
};

/* see broker_internal.h */
struct tq_audit *tq__audit_new(void)
{
    struct tq_audit *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    a->shared = json_object();
    a->conflicts = json_object();
    a->tasks = json_array();
    if (a->shared == NULL || a->conflicts == NULL || a->tasks == NULL) {
        tq__audit_free(a);
        return NULL;
    }
    return a;
}

/* see broker_internal.h */
void tq__audit_free(struct tq_audit *a)
{
    if (a == NULL)
        return;
    json_decref(a->shared);
    json_decref(a->conflicts);
    json_decref(a->tasks);
    free(a);
}

/* record returns member `key` of `obj`, created as {} (with "first") when missing and there is
 * room for `max` members; NULL otherwise. */
static json_t *record(json_t *obj, const char *key, size_t max, json_int_t now)
{
    json_t *r = json_object_get(obj, key);
    if (r == NULL && json_object_size(obj) < max) {
        r = json_pack("{s:I}", "first", now);
        json_object_set_new(obj, key, r);
    }
    if (r != NULL)
        json_object_set_new(r, "last", json_integer(now));
    return r;
}

/* see broker_internal.h */
void tq__audit_shared(struct tq_broker *b, const char *cert_id, const json_t *client_ids)
{
    json_int_t now = (json_int_t)time(NULL);
    json_t *clients = record(b->audit->shared, cert_id, MAX_RECORDS, now);
    size_t i;
    json_t *id;
    json_array_foreach(client_ids, i, id)
    {
        if (clients != NULL && json_is_string(id) && strcmp(json_string_value(id), "first") &&
            strcmp(json_string_value(id), "last"))
            record(clients, json_string_value(id), MAX_CLIENTS_PER_CERT + 2, now);
    }
}

/* see broker_internal.h */
void tq__audit_conflict(struct tq_broker *b, const char *client_id, const char *old_cert,
                        const char *new_cert)
{
    json_int_t now = (json_int_t)time(NULL);
    json_t *r = record(b->audit->conflicts, client_id, MAX_RECORDS, now);
    if (r == NULL)
        return;
    json_object_set_new(r, "count",
                        json_integer(json_integer_value(json_object_get(r, "count")) + 1));
    json_t *certs = json_object_get(r, "certs");
    if (certs == NULL)
        json_object_set_new(r, "certs", certs = json_object());
    if (json_object_size(certs) < MAX_CLIENTS_PER_CERT) {
        json_object_set_new(certs, old_cert[0] ? old_cert : "none", json_true());
        json_object_set_new(certs, new_cert[0] ? new_cert : "none", json_true());
    }
}

static json_t *time_info(const json_t *r)
{
    return json_pack(
        "{s:o, s:o}", "FIRST_CONNECTION_TIME",
        json_sprintf("%lld", (long long)json_integer_value(json_object_get(r, "first"))),
        "LAST_CONNECTION_TIME",
        json_sprintf("%lld", (long long)json_integer_value(json_object_get(r, "last"))));
}

static json_t *related(const char *type, const char *id_key, const char *id, json_t *info)
{
    json_t *r = json_pack("{s:s, s:{s:s}}", "resourceType", type, "resourceIdentifier", id_key, id);
    if (info != NULL)
        json_object_set_new(r, "additionalInfo", info);
    return r;
}

/* struct finding_base is what every finding of one task shares. */
struct finding_base {
    const char *task_id;
    json_int_t start;
    unsigned long *num; /* findings so far, for the findingId */
};

static json_t *finding(const struct finding_base *fb, const char *check, const char *severity,
                       json_t *resource, json_t *related_list, const char *code, const char *reason)
{
    char id[80];
    snprintf(id, sizeof(id), "%s-%lu", fb->task_id, ++*fb->num);
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:o, s:o, s:s, s:s, s:b}", "findingId", id,
                     "taskId", fb->task_id, "checkName", check, "taskStartTime", fb->start,
                     "findingTime", fb->start, "severity", severity, "nonCompliantResource",
                     resource, "relatedResources", related_list, "reasonForNonCompliance", reason,
                     "reasonForNonComplianceCode", code, "isSuppressed", 0);
}

/* shared_findings: DEVICE_CERTIFICATE_SHARED_CHECK, "Multiple, concurrent connections use the
 * same X.509 certificate"; findings list the certificate and the client IDs with times. */
static void shared_findings(const struct tq_audit *a, const struct finding_base *fb, json_t *out)
{
    const char *cert;
    json_t *clients;
    json_object_foreach(a->shared, cert, clients)
    {
        json_t *list = json_array();
        const char *client;
        json_t *r;
        json_object_foreach(clients, client, r)
        {
            if (json_is_object(r))
                json_array_append_new(list, related("CLIENT_ID", "clientId", client, time_info(r)));
        }
        json_t *resource = json_pack("{s:s, s:{s:s}}", "resourceType", "DEVICE_CERTIFICATE",
                                     "resourceIdentifier", "deviceCertificateId", cert);
        json_array_append_new(out, finding(fb, "DEVICE_CERTIFICATE_SHARED_CHECK", "CRITICAL",
                                           resource, list, "CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES",
                                           "Certificate shared by one or more devices."));
    }
}

/* conflict_findings: CONFLICTING_CLIENT_IDS_CHECK, "Multiple devices connect using the same
 * client ID"; findings name the client ID and the certificates its connections used. */
static void conflict_findings(const struct tq_audit *a, const struct finding_base *fb, json_t *out)
{
    const char *client;
    json_t *r;
    json_object_foreach(a->conflicts, client, r)
    {
        json_t *list = json_array();
        const char *cert;
        json_t *v;
        json_object_foreach(json_object_get(r, "certs"), cert, v) json_array_append_new(
            list, related("DEVICE_CERTIFICATE", "deviceCertificateId", cert, NULL));
        json_t *info = time_info(r);
        json_object_set_new(
            info, "TAKEOVERS",
            json_sprintf("%lld", (long long)json_integer_value(json_object_get(r, "count"))));
        json_t *resource =
            json_pack("{s:s, s:{s:s}, s:o}", "resourceType", "CLIENT_ID", "resourceIdentifier",
                      "clientId", client, "additionalInfo", info);
        json_array_append_new(out, finding(fb, "CONFLICTING_CLIENT_IDS_CHECK", "HIGH", resource,
                                           list, "DUPLICATE_CLIENT_ID_ACROSS_CONNECTIONS",
                                           "Multiple devices connect using the same client ID."));
    }
}

typedef void (*check_fn)(const struct tq_audit *a, const struct finding_base *fb, json_t *out);

/* The checks this mock can run: the two the broker observes. */
static const struct {
    const char *name;
    check_fn run;
} checks[] = {
    {"DEVICE_CERTIFICATE_SHARED_CHECK", shared_findings},
    {"CONFLICTING_CLIENT_IDS_CHECK", conflict_findings},
};

static check_fn find_check(const char *name)
{
    for (size_t i = 0; name != NULL && i < ARRAY_LEN(checks); i++)
        if (strcmp(checks[i].name, name) == 0)
            return checks[i].run;
    return NULL;
}

/* check_names validates targetCheckNames; false after replying. */
static bool check_names(struct tq_api_call *call, const json_t *names)
{
    if (!json_is_array(names) || json_array_size(names) == 0) {
        tq__api_fail(call, TQ_API_INVALID_REQUEST, "targetCheckNames is required");
        return false;
    }
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
    {
        if (find_check(json_string_value(n)) == NULL) {
            tq__api_fail(call, TQ_API_INVALID_REQUEST,
                         "Check %s is not supported by this mock "
                         "(DEVICE_CERTIFICATE_SHARED_CHECK, CONFLICTING_CLIENT_IDS_CHECK)",
                         json_is_string(n) ? json_string_value(n) : "?");
            return false;
        }
    }
    return true;
}

/* see api_internal.h */
void tq__api_start_audit_task(struct tq_api_call *call)
{
    struct tq_audit *a = call->broker->audit;
    const json_t *names = json_object_get(call->body, "targetCheckNames");
    if (!check_names(call, names))
        return;
    char task_id[40];
    json_int_t now = (json_int_t)time(NULL);
    snprintf(task_id, sizeof(task_id), "%016llx%016lx", (unsigned long long)now, ++a->next_task);
    unsigned long num = 0;
    struct finding_base fb = {.task_id = task_id, .start = now, .num = &num};
    json_t *findings = json_array();
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) find_check(json_string_value(n))(a, &fb, findings);
    if (json_array_size(a->tasks) >= MAX_TASKS)
        json_array_remove(a->tasks, 0);
    json_array_append_new(a->tasks, json_pack("{s:s, s:I, s:o}", "taskId", task_id, "taskStartTime",
                                              now, "findings", findings));
    tq_events_emit(call->broker->events, "audit_task_completed", 0, "",
                   json_pack("{s:s, s:O, s:I}", "task_id", task_id, "checks", names, "findings",
                             (json_int_t)num));
    tq__api_ok(call, json_pack("{s:s}", "taskId", task_id));
}

/* struct filter is what ListAuditFindings selects by. */
struct filter {
    const char *task_id, *check;
    json_t *resource;  /* resourceIdentifier: every member must match */
    double start, end; /* findingTime bounds; 0: none */
};

static bool resource_matches(json_t *want, const json_t *f)
{
    const json_t *have =
        json_object_get(json_object_get(f, "nonCompliantResource"), "resourceIdentifier");
    const char *key;
    json_t *v;
    json_object_foreach(want, key, v)
    {
        if (!json_equal(v, json_object_get(have, key)))
            return false;
    }
    return true;
}

static bool selected(const struct filter *flt, const json_t *f)
{
    double t = (double)json_integer_value(json_object_get(f, "findingTime"));
    const char *check = json_string_value(json_object_get(f, "checkName"));
    return (flt->check == NULL || strcmp(flt->check, check) == 0) &&
           (flt->resource == NULL || resource_matches(flt->resource, f)) &&
           (flt->start <= 0 || t >= flt->start) && (flt->end <= 0 || t <= flt->end);
}

/* matching collects the findings `flt` selects, task by task, oldest first. */
static json_t *matching(const struct tq_audit *a, const struct filter *flt, bool *out_known)
{
    json_t *all = json_array();
    size_t i, k;
    json_t *task, *f;
    *out_known = flt->task_id == NULL;
    json_array_foreach(a->tasks, i, task)
    {
        const char *id = json_string_value(json_object_get(task, "taskId"));
        if (flt->task_id != NULL && strcmp(flt->task_id, id) != 0)
            continue;
        *out_known = true;
        json_array_foreach(json_object_get(task, "findings"), k, f)
        {
            if (selected(flt, f))
                json_array_append(all, f);
        }
    }
    return all;
}

static double number_member(const json_t *body, const char *key)
{
    const json_t *v = json_object_get(body, key);
    return json_is_number(v) ? json_number_value(v) : 0;
}

/* see api_internal.h */
void tq__api_list_audit_findings(struct tq_api_call *call)
{
    struct filter flt = {.task_id = tq__api_string(call, "taskId"),
                         .check = tq__api_string(call, "checkName"),
                         .resource = json_object_get(call->body, "resourceIdentifier"),
                         .start = number_member(call->body, "startTime"),
                         .end = number_member(call->body, "endTime")};
    bool known = false;
    json_t *all = matching(call->broker->audit, &flt, &known);
    if (!known) {
        json_decref(all);
        tq__api_fail(call, TQ_API_INVALID_REQUEST, "No audit task %s", flt.task_id);
        return;
    }
    double max = number_member(call->body, "maxResults");
    const char *token = tq__api_string(call, "nextToken");
    size_t first = token ? strtoul(token, NULL, 10) : 0;
    size_t size = max >= 1 && max <= 250 ? (size_t)max : MAX_RESULTS_DEFAULT;
    size_t num = json_array_size(all), end = first + size < num ? first + size : num;
    json_t *page = json_array();
    for (size_t i = first; i < end; i++)
        json_array_append(page, json_array_get(all, i));
    json_decref(all);
    json_t *reply = json_pack("{s:o}", "findings", page);
    if (end < num)
        json_object_set_new(reply, "nextToken", json_sprintf("%zu", end));
    tq__api_ok(call, reply);
}
