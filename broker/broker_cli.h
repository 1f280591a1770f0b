/* broker_cli.h: `tlsqual broker`, the mock AWS-IoT-like MQTT broker. */
#ifndef TQ_BROKER_CLI_H
#define TQ_BROKER_CLI_H

/* tq_broker_cli runs `tlsqual broker`: argv[0] is "broker". It serves until SIGINT or SIGTERM
 * and returns the process exit code, an enum tq_exit (common/exit_codes.h): TQ_EXIT_OK on a
 * clean stop, TQ_EXIT_FAILED on a runtime failure, TQ_EXIT_USAGE on a usage or configuration
 * error. The options are broker_options.h's table. */
int tq_broker_cli(int argc, char **argv);

struct tq_broker_config;

/* tq_broker_cli_parse reads the options of `argv` (argv[0] is "broker") into `cfg`, which holds
 * the defaults (tq_broker_config_defaults), then fills the settings of --profile that no option
 * set, wherever --profile appeared. It returns 0 to go on, 2 on a usage error (a message on
 * stderr), or -1 when --help or --help-policies printed and the caller should exit 0. The
 * strings of `cfg` point into `argv`. */
int tq_broker_cli_parse(struct tq_broker_config *cfg, int argc, char **argv);

#endif
