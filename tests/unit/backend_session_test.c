/* backend_session_test.c: tests harness/backend/backend_session.c against a fake backend (a
 * Python script written at test time) whose behaviour on each case is chosen by the case's id.
 * A process serves the next case only after giving exactly this case's result; a stray line, a
 * wrong id, a second answer or a late one never becomes another case's result, and the next case
 * always gets its own answer from a fresh process. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_session.h"
#include "result.h"

enum { MAX_OUTPUT = 1 << 20, TIMEOUT_MS = 5000 };

/* The fake answers {"id", "outcome": "ok", "local_port": its pid} (the pid tells processes
 * apart) and, by the id's prefix:
 *   ok-       just that                      stray-   a debug line first
 *   wrong-    id "not-the-case-id"           twice-   two answers in one write
 *   later-    a second answer after 300 ms   next-    a second answer once the next case arrives
 *   late-     the answer after 1.5 s         exit-    the answer, then it exits 0 */
static const char fake_py[] =
    "#!/usr/bin/python3\n"
    "import json, os, sys, time\n"
    "def say(text):\n"
    "    sys.stdout.write(text)\n"
    "    sys.stdout.flush()\n"
    "def answer(i):\n"
    "    return json.dumps({'id': i, 'outcome': 'ok', 'local_port': os.getpid()}) + '\\n'\n"
    "if sys.argv[1:] != ['--run']:\n"
    "    sys.exit(2)\n"
    "owed = None\n"
    "for line in sys.stdin:\n"
    "    i = json.loads(line)['id']\n"
    "    if owed:\n"
    "        say(owed)\n"
    "        owed = None\n"
    "    if i.startswith('stray-'):\n"
    "        say('debug: connecting to 127.0.0.1\\n')\n"
    "    if i.startswith('late-'):\n"
    "        time.sleep(1.5)\n"
    "    if i.startswith('wrong-'):\n"
    "        say(answer('not-the-case-id'))\n"
    "    elif i.startswith('twice-'):\n"
    "        say(answer(i) + answer(i))\n"
    "    else:\n"
    "        say(answer(i))\n"
    "    if i.startswith('later-'):\n"
    "        time.sleep(0.3)\n"
    "        say(answer(i))\n"
    "    if i.startswith('next-'):\n"
    "        owed = answer(i)\n"
    "    if i.startswith('exit-'):\n"
    "        sys.exit(0)\n";

static char dir[64];
static char exe[128];
static struct tq_backend_session session;

static void setup(void)
{
    signal(SIGPIPE, SIG_IGN); /* as tlsqual does: a backend gone is a failed write, not a death */
    snprintf(dir, sizeof(dir), "/tmp/tq-session-test.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(exe, sizeof(exe), "%s/fake-backend", dir);
    FILE *f = fopen(exe, "w");
    cr_assert_not_null(f);
    fputs(fake_py, f);
    fclose(f);
    cr_assert_eq(chmod(exe, 0700), 0);
    tq_backend_session_init(&session, exe);
}

static void teardown(void)
{
    char quote[TQ_RESULT_QUOTE_SIZE];
    (void)tq_backend_session_close(&session, quote, sizeof(quote));
    unlink(exe);
    rmdir(dir);
}

TestSuite(backend_session, .init = setup, .fini = teardown, .timeout = 60);

/* send runs case `id` on the session and parses its output as that case's result. `*out_pid` is
 * the pid that answered (-1 when the output was not this case's result). */
static tq_status send(struct tq_diag *diag, const char *id, int timeout_ms, long *out_pid,
                      struct tq_proc_output *out)
{
    char line[256];
    snprintf(line, sizeof(line), "{\"id\":\"%s\",\"host\":\"127.0.0.1\",\"port\":1}\n", id);
    struct tq_diag start = {0};
    cr_assert(tq_ok(tq_backend_session_run(&start, &session, out, line, timeout_ms, MAX_OUTPUT)),
              "%s", start.msg);
    struct tq_result r;
    tq_status st = tq_result_parse(diag, &r, id, (const char *)out->out.data, out->out.len);
    *out_pid = tq_ok(st) ? r.local_port : -1;
    return st;
}

/* expect_own checks that case `id` got its own result, and returns the pid that gave it. */
static long expect_own(const char *id)
{
    struct tq_diag diag = {0};
    struct tq_proc_output out;
    long pid = -1;
    cr_expect(tq_ok(send(&diag, id, TIMEOUT_MS, &pid, &out)), "%s: %s", id, diag.msg);
    cr_expect(out.exited && out.exit_code == 0 && !out.timed_out, "%s: reads as answered", id);
    tq_proc_output_cleanup(&out);
    return pid;
}

/* expect_broken checks that case `id` was refused as a protocol error quoting `quote_has`, and
 * that the process that broke the protocol is gone. */
static void expect_broken(const char *id, const char *quote_has)
{
    struct tq_diag diag = {0};
    struct tq_proc_output out;
    long pid = -1;
    cr_expect(!tq_ok(send(&diag, id, TIMEOUT_MS, &pid, &out)), "%s: accepted", id);
    cr_expect(strstr(diag.msg, quote_has) != NULL, "%s: want \"%s\" in \"%s\"", id, quote_has,
              diag.msg);
    cr_expect(out.exited && out.exit_code == 0, "%s: a protocol break is not a crash", id);
    cr_expect_eq(session.pid, -1, "%s: the process that broke the protocol is ended", id);
    tq_proc_output_cleanup(&out);
}

Test(backend_session, one_process_serves_well_behaved_cases)
{
    long first = expect_own("ok-1");
    cr_expect_gt(first, 0);
    cr_expect_eq(expect_own("ok-2"), first, "the same process answers the next case");
    cr_expect_eq(session.num_runs, 2ul);
    char quote[TQ_RESULT_QUOTE_SIZE] = "";
    cr_expect(!tq_backend_session_stray(&session, quote, sizeof(quote)));
    cr_expect_eq(expect_own("ok-3"), first);
}

Test(backend_session, stray_line_fails_its_case_and_never_the_next)
{
    long first = expect_own("ok-1");
    expect_broken("stray-2", "'debug: connecting to 127.0.0.1'");
    /* stray-2's real result was written after the debug line: it must not become ok-3's. */
    long third = expect_own("ok-3");
    cr_expect(third > 0 && third != first, "a fresh process answers the next case");
}

Test(backend_session, wrong_id_fails_its_case)
{
    expect_broken("wrong-1", "'not-the-case-id'");
    cr_expect_gt(expect_own("ok-2"), 0);
}

Test(backend_session, two_answers_in_one_read_fail_their_case)
{
    expect_broken("twice-1", "another line after it");
    cr_expect_gt(expect_own("ok-2"), 0);
}

Test(backend_session, second_answer_between_cases_is_found_before_the_next_is_sent)
{
    long first = expect_own("later-1");
    usleep(800 * 1000); /* the fake writes its second answer 300 ms after the first */
    char quote[TQ_RESULT_QUOTE_SIZE] = "";
    cr_expect(tq_backend_session_stray(&session, quote, sizeof(quote)));
    cr_expect(strstr(quote, "\"id\": \"later-1\"") != NULL, "%s", quote);
    cr_expect_eq(session.pid, -1);
    long next = expect_own("ok-2");
    cr_expect(next > 0 && next != first);
}

Test(backend_session, late_answer_read_during_the_next_case_fails_that_case)
{
    /* The race the between-cases check cannot close: the second answer to next-1 comes only
     * once next-2 was sent, so it is the first line read for next-2. It carries next-1's id:
     * next-2 fails, and the line says which case it answered. */
    expect_own("next-1");
    char quote[TQ_RESULT_QUOTE_SIZE] = "";
    cr_expect(!tq_backend_session_stray(&session, quote, sizeof(quote)));
    struct tq_diag diag = {0};
    struct tq_proc_output out;
    long pid = -1;
    cr_expect(!tq_ok(send(&diag, "ok-2", TIMEOUT_MS, &pid, &out)));
    cr_expect(strstr(diag.msg, "want the result of case 'ok-2'") != NULL, "%s", diag.msg);
    cr_expect(strstr(diag.msg, "'next-1'") != NULL, "%s", diag.msg);
    size_t len = 0;
    cr_expect_not_null(
        tq_result_line_with_id((const char *)out.out.data, out.out.len, "next-1", &len));
    cr_expect_eq(session.pid, -1);
    tq_proc_output_cleanup(&out);
    cr_expect_gt(expect_own("ok-3"), 0);
}

Test(backend_session, answer_after_the_deadline_is_a_timeout_and_never_reaches_the_next_case)
{
    struct tq_diag diag = {0};
    struct tq_proc_output out;
    long pid = -1;
    cr_expect(!tq_ok(send(&diag, "late-1", 300, &pid, &out)));
    cr_expect(out.timed_out, "the process was killed at the deadline");
    cr_expect_eq(session.pid, -1);
    tq_proc_output_cleanup(&out);
    usleep(1500 * 1000); /* past the moment the late answer would have come */
    cr_expect_gt(expect_own("ok-2"), 0);
}

Test(backend_session, second_answer_before_end_of_input_is_found_at_close)
{
    expect_own("later-1");
    char quote[TQ_RESULT_QUOTE_SIZE] = "";
    cr_expect(tq_backend_session_close(&session, quote, sizeof(quote)));
    cr_expect(strstr(quote, "later-1") != NULL, "%s", quote);
    cr_expect_eq(session.pid, -1);
    cr_expect(!tq_backend_session_close(&session, quote, sizeof(quote)), "idempotent");
}

Test(backend_session, process_that_exits_after_answering_is_replaced_without_blame)
{
    long first = expect_own("exit-1");
    usleep(300 * 1000);
    char quote[TQ_RESULT_QUOTE_SIZE] = "";
    cr_expect(!tq_backend_session_stray(&session, quote, sizeof(quote)));
    long next = expect_own("ok-2");
    cr_expect(next > 0 && next != first);
}

Test(backend_session, well_behaved_session_closes_clean)
{
    expect_own("ok-1");
    char quote[TQ_RESULT_QUOTE_SIZE] = "";
    cr_expect(!tq_backend_session_close(&session, quote, sizeof(quote)));
}

Test(backend_session, case_sent_to_a_process_that_ended_unseen_goes_to_a_fresh_one)
{
    /* No check between the cases: the process exits after answering exit-1, and the write of
     * ok-2 meets a closed pipe. ok-2 was never read, so it is not lost: a new process runs it. */
    long first = expect_own("exit-1");
    usleep(500 * 1000);
    long next = expect_own("ok-2");
    cr_expect(next > 0 && next != first);
}
