"""faulty_backend: a backend that speaks docs/backend-protocol.md by delegating every case to a
real backend, and breaks the protocol in exactly one way on the cases it is told to.

The four executables next to this file (stray-line, wrong-id, answer-twice, answer-late) each
call main() with their fault. Each one is used as `tlsqual run --backend exec:PATH` by
tests/e2e/backend_protocol_faults_test.sh, and reads its settings from the environment:

  TQ_FAULTY_REAL_BACKEND  the real backend executable (required), e.g.
                          build/backends/tlsqual-backend-openssl
  TQ_FAULTY_CASES         a Python regular expression: a case whose id it matches (re.search)
                          gets the fault; default: every case
  TQ_FAULTY_LATE_S        answer-late: seconds to hold the answer (default 8: past the harness's
                          deadline of --timeout + 5 s when --timeout is at most 2000)
  TQ_FAULTY_LOG           a file to which one line "FAULT<TAB>CASE-ID" is appended before each
                          fault is injected, so a test knows which cases broke the protocol

The faults:
  stray-line    a debug line on stdout before the result line (the commonest vendor bug)
  wrong-id      the result line with "id": "not-the-case-id"
  answer-twice  the result line, then the same line again 0.3 s later
  answer-late   the result line only after TQ_FAULTY_LATE_S seconds
Every other case gets the real backend's result line untouched. --capabilities is the real
backend's, renamed to the fault, so that reports tell the backends apart.
"""
import json
import os
import re
import subprocess
import sys
import time


def fail(message):
    sys.stderr.write(f"faulty backend: {message}\n")
    sys.exit(3)  # TQ_BACKEND_EXIT_INTERNAL


def say(text):
    sys.stdout.write(text)
    sys.stdout.flush()


def log_fault(fault, case_id):
    path = os.environ.get("TQ_FAULTY_LOG")
    if path:
        # One short O_APPEND write per line: lines of concurrent processes do not mix.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{fault}\t{case_id}\n".encode())
        finally:
            os.close(fd)


def capabilities(real, fault):
    out = subprocess.run([real, "--capabilities"], stdout=subprocess.PIPE, check=False)
    if out.returncode != 0:
        fail(f"{real} --capabilities exited {out.returncode}")
    caps = json.loads(out.stdout)
    caps["name"] = fault
    say(json.dumps(caps) + "\n")


def inject(fault, case_id, result):
    """Writes the real result line `result` for case `case_id` with the fault."""
    log_fault(fault, case_id)
    if fault == "stray-line":
        say("debug: tls handshake starting for this case\n")
        say(result)
    elif fault == "wrong-id":
        obj = json.loads(result)
        obj["id"] = "not-the-case-id"
        say(json.dumps(obj) + "\n")
    elif fault == "answer-twice":
        say(result)
        time.sleep(0.3)
        say(result)
    elif fault == "answer-late":
        time.sleep(float(os.environ.get("TQ_FAULTY_LATE_S", "8")))
        say(result)
    else:
        fail(f"unknown fault {fault}")


def run(real, fault):
    pattern = re.compile(os.environ.get("TQ_FAULTY_CASES", ""))
    child = subprocess.Popen([real, "--run"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, bufsize=1)
    for line in sys.stdin:
        case_id = json.loads(line)["id"]
        child.stdin.write(line)
        child.stdin.flush()
        result = child.stdout.readline()
        if not result:
            fail(f"{real} ended without a result for {case_id!r}")
        if pattern.search(case_id):
            inject(fault, case_id, result)
        else:
            say(result)
    child.stdin.close()
    sys.exit(child.wait())


def main(fault):
    real = os.environ.get("TQ_FAULTY_REAL_BACKEND")
    if not real or not os.access(real, os.X_OK):
        fail("set TQ_FAULTY_REAL_BACKEND to the real backend executable")
    mode = sys.argv[1:]
    if mode == ["--capabilities"]:
        capabilities(real, fault)
    elif mode == ["--run"]:
        run(real, fault)
    else:
        sys.stderr.write("usage: BACKEND --capabilities | --run\n")
        sys.exit(2)  # TQ_BACKEND_EXIT_USAGE
