/* Tests for broker/api.c: the route table (method + path pattern -> AWS operation). */
#include <criterion/criterion.h>
#include <string.h>

#include "api.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct {
    const char *method, *path;
    const char *want_op; /* NULL: no route */
    const char *want_param;
} cases[] = {
    {"GET", "/endpoint", "DescribeEndpoint", ""},
    {"GET", "/certificates", "ListCertificates", ""},
    {"GET", "/certificates/" ID, "DescribeCertificate", ID},
    {"PUT", "/certificates/" ID, "UpdateCertificate", ID},
    {"DELETE", "/certificates/" ID, "DeleteCertificate", ID},
    {"POST", "/certificate/register", "RegisterCertificate", ""},
    {"POST", "/certificate/register-no-ca", "RegisterCertificateWithoutCA", ""},
    {"POST", "/cacertificate", "RegisterCACertificate", ""},
    {"GET", "/cacertificates", "ListCACertificates", ""},
    {"GET", "/cacertificate/" ID, "DescribeCACertificate", ID},
    {"PUT", "/cacertificate/" ID, "UpdateCACertificate", ID},
    {"POST", "/audit/tasks", "StartOnDemandAuditTask", ""},
    {"POST", "/audit/findings", "ListAuditFindings", ""},
    {"POST", "/certificates/" ID, NULL, ""},     /* wrong method */
    {"GET", "/certificates/", NULL, ""},         /* empty segment */
    {"GET", "/certificates/" ID "/x", NULL, ""}, /* extra segment */
    {"GET", "/endpoints", NULL, ""},
    {"GET", "", NULL, ""},
    {"GET", "/", NULL, ""},
};

Test(broker_api, route_table_matches_the_service_model_paths)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char param[160] = "junk";
        const struct tq_api_route *r =
            tq_api_match(cases[i].method, cases[i].path, param, sizeof(param));
        if (cases[i].want_op == NULL) {
            cr_expect_null(r, "case %zu %s %s: want no route, got %s", i, cases[i].method,
                           cases[i].path, r ? r->operation : "");
            continue;
        }
        cr_assert_not_null(r, "case %zu %s %s: want %s", i, cases[i].method, cases[i].path,
                           cases[i].want_op);
        cr_expect_str_eq(r->operation, cases[i].want_op, "case %zu", i);
        cr_expect_str_eq(param, cases[i].want_param, "case %zu", i);
    }
}

Test(broker_api, too_long_segment_matches_nothing)
{
    char param[8];
    cr_expect_null(tq_api_match("GET", "/certificates/" ID, param, sizeof(param)));
    cr_expect_not_null(tq_api_match("GET", "/certificates/short", param, sizeof(param)));
    cr_expect_str_eq(param, "short");
}

Test(broker_api, every_route_is_complete_and_unique)
{
    for (size_t i = 0; i < tq_api_num_routes(); i++) {
        const struct tq_api_route *r = tq_api_route(i);
        cr_assert(r->method && r->pattern && r->operation && r->handler, "route %zu", i);
        for (size_t k = 0; k < i; k++) {
            const struct tq_api_route *o = tq_api_route(k);
            cr_expect(strcmp(r->operation, o->operation) != 0 || strcmp(r->method, o->method) != 0,
                      "routes %zu and %zu", k, i);
        }
    }
    cr_expect_null(tq_api_route(tq_api_num_routes()));
}
