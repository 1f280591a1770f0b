/* exit_codes.h: the exit status of every tlsqual process, defined once.
 *
 * Two families, each a contract with whoever starts the process:
 * - enum tq_exit: the `tlsqual` subcommands (run, lint, merge, device, certs, broker) and the
 *   benchmarks. A script or a CI job reads it (README.md, docs/ci.md, docs/broker.md,
 *   docs/pki.md, docs/device-mode.md, docs/report-format.md say the same numbers).
 * - enum tq_backend_exit: a backend executable, read by the harness
 *   (docs/backend-protocol.md#exit-codes). It shares 0 and 2 with enum tq_exit.
 *
 * The e2e scripts (tests/e2e, shell) check these numbers as literals: a change here is a change
 * there too. */
#ifndef TQ_EXIT_CODES_H
#define TQ_EXIT_CODES_H

/* The exit status of a `tlsqual` subcommand or a benchmark. */
enum tq_exit {
    TQ_EXIT_OK = 0,     /* run, device: every case passed (warnings allowed); lint: every file
                            is valid; merge, certs: done; broker: a clean stop (SIGINT, SIGTERM) */
    TQ_EXIT_FAILED = 1, /* run, device: a case failed or did not run, or no case ran; certs:
                            generation failed; broker: a runtime failure after it started;
                            benchmarks: a connection failed */
    TQ_EXIT_USAGE = 2,  /* a bad command line or configuration: an unknown option or value, an
                            invalid scenario or plan, a file that cannot be read; run: a
                            filter that selects no case, two backends of one name; merge:
                            shards that are not every shard of one run */
    TQ_EXIT_INTERRUPTED = 130, /* run, device: stopped by SIGINT or SIGTERM; the reports written
                                  are marked incomplete and say which cases did not run
                                  (128 + SIGINT, as a shell reports it) */
};

/* The exit status of a backend (docs/backend-protocol.md#exit-codes). */
enum tq_backend_exit {
    TQ_BACKEND_EXIT_OK = TQ_EXIT_OK,       /* every case read got its result line */
    TQ_BACKEND_EXIT_USAGE = TQ_EXIT_USAGE, /* a bad command line, or a case line that is not
                                              JSON or breaks the case schema */
    TQ_BACKEND_EXIT_INTERNAL = 3,          /* a bug or an I/O failure: the harness sees a crash
                                              (backend_crashed) */
    TQ_BACKEND_EXIT_UNIMPLEMENTED = 89,    /* the backend cannot run the case it was given and
                                              wrote no result: BoGo's kExitCodeUnimplemented; the
                                              harness reports the case skipped */
};

#endif
