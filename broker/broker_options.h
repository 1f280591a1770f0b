/* broker_options.h: the options of `tlsqual broker`, defined once (docs/broker.md).
 *
 * One table row per option: its flag, the value it takes (a kind and, for a closed set, the
 * allowed values), where the value goes in struct tq_broker_config, and, for the settings a
 * scenario or a device plan may choose, the key they write it under in their `broker:` map.
 * broker_cli.c parses the command line with this table. The harness maps `broker:` keys to
 * options with it and checks their values with it when it reads a scenario or a plan, so
 * `tlsqual lint` refuses `sni: requird` at its file and line, naming the allowed values, instead
 * of the broker refusing it when the run starts it.
 *
 * A key is the option's flag without its dashes, with '_' for '-' (`refusal_alert` for
 * `--refusal-alert`). Values are checked here as far as they can be without a PKI: an artifact
 * name (`--server-cert`) is the catalog's to check. */
#ifndef TQ_BROKER_OPTIONS_H
#define TQ_BROKER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

/* What an option takes, and the C type at its offset in struct tq_broker_config. */
enum tq_broker_option_kind {
    TQ_BROKER_OPT_STRING,        /* const char *: any text (a path, an address, an artifact) */
    TQ_BROKER_OPT_NAME,          /* const char *: one of `choices`, or what `known` accepts */
    TQ_BROKER_OPT_CHOICE,        /* int (an enum): the value of one of `choices` */
    TQ_BROKER_OPT_UINT,          /* unsigned: a decimal integer, 0 to INT_MAX */
    TQ_BROKER_OPT_FD,            /* int: a file descriptor, 0 to INT_MAX */
    TQ_BROKER_OPT_FLAG,          /* bool: no value, set to true */
    TQ_BROKER_OPT_HELP,          /* no value, no field: print the usage and exit 0 */
    TQ_BROKER_OPT_HELP_POLICIES, /* no value, no field: list the policies and exit 0 */
};

/* struct tq_broker_choice is one allowed value. A list of them ends with {NULL}. */
struct tq_broker_choice {
    const char *name;
    int value; /* TQ_BROKER_OPT_CHOICE: stored in the field */
};

/* struct tq_broker_option is one row of the table. */
struct tq_broker_option {
    const char *flag; /* "--refusal-alert" */
    const char *key;  /* "refusal_alert": a scenario or plan may set it; NULL: not */
    enum tq_broker_option_kind kind;
    size_t offset;                          /* into struct tq_broker_config; 0 for the help kinds */
    const struct tq_broker_choice *choices; /* CHOICE, and NAME unless `known` is set */
    bool (*known)(const char *value);       /* NAME: the owner's lookup (a policy) */
    const char *want;                       /* NAME with `known`: the allowed values, in words */
    const char *arg; /* the value's placeholder in the usage; NULL: takes none */
    const char *help;
};

/* tq_broker_option_count returns the number of options; tq_broker_option_at returns the
 * `i`-th (i < count), in the order the usage lists them. */
size_t tq_broker_option_count(void);
const struct tq_broker_option *tq_broker_option_at(size_t i);

/* tq_broker_option_find returns the option whose flag is `flag` ("--sni"), or NULL. */
const struct tq_broker_option *tq_broker_option_find(const char *flag);

/* tq_broker_option_for_key returns the option a `broker:` key ("refusal_alert") sets, or NULL
 * when no option has that key. */
const struct tq_broker_option *tq_broker_option_for_key(const char *key);

/* tq_broker_option_check returns NULL when `value` is a valid value of `o`, else what is wanted,
 * completing "want ..., got 'VALUE'": the allowed values ("optional, required or endpoint"),
 * "a non-negative integer", or `o->want`. The text is static. Options that take no value
 * accept anything. */
const char *tq_broker_option_check(const struct tq_broker_option *o, const char *value);

/* tq_broker_setting_check is tq_broker_option_check for the option of `broker:` key `key`. A key
 * no option has is refused too, with a text that says so. */
const char *tq_broker_setting_check(const char *key, const char *value);

/* TQ_BROKER_SETTING_CHECK(k) defines `static const char *check_broker_k(const char *value)`:
 * tq_broker_setting_check for key "k", with the signature of a value check of a file format
 * (harness/scenario/yaml_table.h), so that each `broker:` key of a format is checked by the
 * option it sets. */
#define TQ_BROKER_SETTING_CHECK(k)                                                                 \
    static const char *check_broker_##k(const char *value)                                         \
    {                                                                                              \
        return tq_broker_setting_check(#k, value);                                                 \
    }

/* struct tq_broker_profile is a bundle of option values (--profile NAME). A profile only fills
 * the options that the command line does not set itself, wherever --profile appears. */
struct tq_broker_profile {
    const char *name; /* one of the --profile choices */
    const char *help;
    struct {
        const char *flag; /* "--crl" */
        const char *value;
    } settings[16]; /* unused ones have flag NULL */
};

/* tq_broker_profile_find returns the profile called `name` ("strict"), or NULL. */
const struct tq_broker_profile *tq_broker_profile_find(const char *name);

/* tq_broker_profile_count and tq_broker_profile_at list the profiles, for the usage. */
size_t tq_broker_profile_count(void);
const struct tq_broker_profile *tq_broker_profile_at(size_t i);

#endif
