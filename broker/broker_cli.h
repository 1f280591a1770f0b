/* broker_cli.h: `tlsqual broker`, the mock AWS-IoT-like MQTT broker. */
#ifndef TQ_BROKER_CLI_H
#define TQ_BROKER_CLI_H

/* tq_broker_cli runs `tlsqual broker`: argv[0] is "broker". It serves until SIGINT or SIGTERM
 * and returns the process exit code (0 clean stop, 1 runtime failure, 2 usage or configuration
 * error). */
int tq_broker_cli(int argc, char **argv);

#endif
