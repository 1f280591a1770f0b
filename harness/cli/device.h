/* device.h: `tlsqual device`, the device qualification mode (docs/device-mode.md). */
#ifndef TQ_DEVICE_H
#define TQ_DEVICE_H

/* tq_device_cli is `tlsqual device`: argv[0] is "device". It plays a device plan against a real
 * or simulated device that connects to --listen, then writes the reports of `tlsqual run`.
 * Returns an enum tq_exit (run_cli.h): 0 every case passed (warnings allowed), 1 a case failed
 * or did not run, 2 usage or configuration error. */
int tq_device_cli(int argc, char **argv);

#endif
