#!/usr/bin/python3
"""Raw-socket attacks on `tlsqual broker`, for tests/e2e/fault_broker_test.sh.

Usage: broker_attacks.py ATTACK --addr 127.0.0.1:PORT --pki DIR [--server-name NAME] [options]

Each attack prints one `ok   - ...` line per check that held and one `FAIL - ...` line per check
that did not, and exits 1 when any failed. Loopback only (the address must be in 127.0.0.0/8);
every socket has a timeout, every loop a count. Randomness comes from a fixed seed so a failure
can be replayed. Attacks:

  random        connections that send random bytes (some after a TLS record header), then close
                or wait: the broker must close each one
  truncated     a real ClientHello cut at several lengths, then closed or left hanging: closed
                by the broker (at the latest after its handshake deadline)
  stall         a client that sends its ClientHello, reads the server's flight and stops: the
                broker drops it after --deadline s (its --handshake-timeout) and meanwhile
                serves a good client; a client that completes the handshake and never sends
                CONNECT is dropped the same way
  malformed     a good mutual-TLS handshake, then malformed MQTT: the broker closes the
                connection (or answers as MQTT 3.1.1 says) and stays up
  flood         N TCP connections opened at once and held (beyond the broker's open-file
                limit): a good client still gets CONNACK once the flood's half-open
                connections pass their deadline; prints the broker's RSS (VmRSS) before/after
  good          one good client: mutual TLS, CONNECT, CONNACK 0
"""
import argparse
import os
import random
import socket
import ssl
import struct
import sys
import time

failures = 0


def check(name, cond, detail=""):
    global failures
    if cond:
        print(f"ok   - {name}")
    else:
        failures += 1
        print(f"FAIL - {name}{': ' + detail if detail else ''}")
    sys.stdout.flush()


def parse_addr(text):
    host, port = text.rsplit(":", 1)
    if not host.startswith("127."):
        sys.exit(f"broker_attacks.py: want a 127.0.0.0/8 address, got {text}")
    return host, int(port)


def tcp(addr, timeout=5.0):
    s = socket.create_connection(addr, timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def closed_within(sock, seconds):
    """Reads until EOF or reset; returns the seconds it took, or None when still open."""
    start = time.monotonic()
    sock.settimeout(0.2)
    while time.monotonic() - start < seconds:
        try:
            data = sock.recv(65536)
            if not data:
                return time.monotonic() - start
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start
    return None


def client_context(args, with_cert=True):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    for root in ("ats-root-ca-1.pem", "ats-root-ca-3.pem"):
        ctx.load_verify_locations(os.path.join(args.pki, root))
    ctx.check_hostname = args.server_name is not None
    if with_cert:
        ctx.load_cert_chain(os.path.join(args.pki, "device-rsa-2048.pem"),
                            os.path.join(args.pki, "device-rsa-2048.key"))
    return ctx


def connect_packet(client_id, level=4, keep_alive=60):
    cid = client_id.encode()
    var = b"\x00\x04MQTT" + bytes([level, 0x02]) + struct.pack(">H", keep_alive)
    payload = struct.pack(">H", len(cid)) + cid
    body = var + payload
    return bytes([0x10, len(body)]) + body


def read_packet(tls, timeout=5.0):
    """One MQTT packet (short: remaining length < 128); None on EOF or timeout."""
    tls.settimeout(timeout)
    buf = b""
    try:
        while len(buf) < 2 or len(buf) < 2 + buf[1]:
            chunk = tls.recv(256)
            if not chunk:
                return None
            buf += chunk
    except (socket.timeout, ssl.SSLError, OSError):
        return None
    return buf[:2 + buf[1]]


def tls_connect(args, client_id=None):
    """A mutual-TLS connection (and CONNECT/CONNACK when client_id is given)."""
    ctx = client_context(args)
    raw = tcp(args.addr)
    tls = ctx.wrap_socket(raw, server_hostname=args.server_name)
    if client_id is not None:
        tls.sendall(connect_packet(client_id))
        pkt = read_packet(tls)
        if pkt != b"\x20\x02\x00\x00":
            raise RuntimeError(f"want CONNACK 0, got {pkt!r}")
    return tls


def good_client(args, label):
    try:
        tls = tls_connect(args, client_id=f"fault-good-{label}")
        tls.sendall(b"\xe0\x00")
        tls.close()
        check(f"{label}: a good client gets CONNACK 0", True)
    except Exception as e:  # noqa: BLE001 - any failure is the finding
        check(f"{label}: a good client gets CONNACK 0", False, repr(e))


def client_hello():
    """The bytes of a real ClientHello (TLS 1.2-1.3, as Python's OpenSSL writes it)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="fault.example")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def attack_random(args):
    rng = random.Random(8)
    still_open = 0
    for i in range(args.count):
        size = rng.choice([1, 2, 5, 16, 100, 517, 4096, 20000])
        data = bytes(rng.getrandbits(8) for _ in range(size))
        if i % 3 == 1:   # a plausible handshake record header, then garbage
            data = b"\x16\x03\x01" + struct.pack(">H", min(size, 0x4000)) + data
        elif i % 3 == 2:  # an alert record of random content
            data = b"\x15\x03\x03\x00\x02" + data[:2]
        s = tcp(args.addr)
        try:
            s.sendall(data)
        except OSError:
            pass   # the broker already closed: fine
        if i % 2 == 0:
            s.close()
            continue
        if closed_within(s, args.deadline + 3) is None:
            still_open += 1
        s.close()
    check(f"random: the broker closed every connection that sent random bytes "
          f"({args.count} sent)", still_open == 0, f"{still_open} still open")


def attack_truncated(args):
    hello = client_hello()
    cuts = sorted({1, 3, 5, 6, 9, 40, len(hello) // 2, len(hello) - 1})
    hanging = []
    for cut in cuts:
        s = tcp(args.addr)
        s.sendall(hello[:cut])
        hanging.append((cut, s))
        s2 = tcp(args.addr)   # the same cut, closed at once
        s2.sendall(hello[:cut])
        s2.close()
    # A record that claims more than it holds, and a handshake message longer than its record.
    lying = bytearray(hello)
    lying[3:5] = struct.pack(">H", 0x4000)
    s = tcp(args.addr)
    s.sendall(bytes(lying))
    hanging.append(("record length 16384", s))
    lying = bytearray(hello)
    lying[6:9] = b"\xff\xff\xff"
    s = tcp(args.addr)
    s.sendall(bytes(lying))
    hanging.append(("handshake length 2^24-1", s))
    good_client(args, "truncated (while the truncated hellos hang)")
    worst = 0.0
    open_cuts = []
    for cut, s in hanging:
        took = closed_within(s, args.deadline + 3)
        if took is None:
            open_cuts.append(cut)
        else:
            worst = max(worst, took)
        s.close()
    check(f"truncated: {len(hanging)} truncated or lying ClientHellos closed by the broker "
          f"(hello {len(hello)} bytes, cuts {cuts}; slowest {worst:.1f} s)",
          not open_cuts, f"still open after {args.deadline + 3} s: {open_cuts}")


def attack_stall(args):
    hello = client_hello()
    s = tcp(args.addr)
    s.sendall(hello)
    s.settimeout(5)
    first = s.recv(65536)
    check("stall: the broker answers the ClientHello", len(first) > 0 and first[0] == 0x16,
          repr(first[:8]))
    start = time.monotonic()
    stalled_tls = tls_connect(args)   # handshake done, no CONNECT
    good_client(args, "stall (while two clients stall)")
    took = closed_within(s, args.deadline + 5)
    elapsed = time.monotonic() - start
    check(f"stall: mid-handshake client dropped after the {args.deadline} s deadline "
          f"(after {elapsed:.1f} s)",
          took is not None and args.deadline - 0.5 <= elapsed <= args.deadline + 3,
          "not dropped" if took is None else f"dropped after {elapsed:.1f} s")
    raw = stalled_tls
    try:
        pkt = read_packet(raw, timeout=args.deadline + 5)
        elapsed = time.monotonic() - start
        check(f"stall: client without CONNECT dropped after the deadline ({elapsed:.1f} s)",
              pkt is None and elapsed <= 2 * args.deadline + 4, f"got {pkt!r}")
    finally:
        raw.close()


def malformed_cases():
    """(name, bytes to send after the handshake, CONNACK expected first or None)."""
    c = connect_packet("fault-malformed")
    return [
        ("garbage before CONNECT", b"\xff\xff\xff\xff\xff\xff", None),
        ("remaining length of 5 bytes", b"\x10\xff\xff\xff\xff\x7f", None),
        ("PUBLISH before CONNECT", b"\x30\x05\x00\x01a\x00\x00", None),
        # KNOWN BUG: a CONNECT whose protocol name is not "MQTT" gets CONNACK 0 and is served as
        # MQTT 3.1.1; MQTT 3.1.1 section 3.1.2.1 [MQTT-3.1.2-1] says the server MAY disconnect
        # or process it under another specification, and MUST NOT process it under 3.1.1.
        # tq_mqtt_connect_read (common/mqtt_connect.c) reads protocol_name and nobody checks
        # it (broker/session_mqtt.c checks only protocol_level). Disabled until fixed; enable
        # with --known-bugs.
        ("protocol name MQTX", c.replace(b"MQTT", b"MQTX"), "known-bug"),
        ("CONNECT body cut short", bytes([0x10, 30]) + c[2:12], None),
        # MQTT 5 is served (docs/broker.md#mqtt-5): another level gets 3.1.1 CONNACK rc 1.
        ("CONNECT level 3 (MQTT 3.1)", connect_packet("fault-mqtt3", level=3), b"\x20\x02\x00\x01"),
        ("second CONNECT", c + c, b"\x20\x02\x00\x00"),
        ("reserved packet type 15 after CONNECT", c + b"\xf0\x00", b"\x20\x02\x00\x00"),
        ("SUBSCRIBE with no topic after CONNECT", c + b"\x82\x02\x00\x01", b"\x20\x02\x00\x00"),
        ("PUBLISH QoS 3 after CONNECT", c + b"\x36\x05\x00\x01a\x00\x01", b"\x20\x02\x00\x00"),
        ("packet of 200 MB announced after CONNECT", c + b"\x30\x80\x80\xe0\x5f", b"\x20\x02\x00\x00"),
        ("topic with invalid UTF-8 after CONNECT", c + b"\x30\x05\x00\x02\xc3\x28x",
         b"\x20\x02\x00\x00"),
    ]


def attack_malformed(args):
    for name, data, want_connack in malformed_cases():
        if want_connack == "known-bug":
            if not args.known_bugs:
                print(f"skip - malformed: {name}: KNOWN BUG, check disabled (--known-bugs)")
                continue
            want_connack = None
        try:
            tls = tls_connect(args)
            tls.sendall(data)
            got_connack = None
            if want_connack is not None:
                got_connack = read_packet(tls, timeout=5)
            start = time.monotonic()
            rest = read_packet(tls, timeout=args.deadline + 3)
            elapsed = time.monotonic() - start
            closed = rest is None and elapsed < args.deadline + 3
            ok = closed and (want_connack is None or got_connack == want_connack)
            check(f"malformed: {name}: closed by the broker"
                  f"{' after CONNACK ' + want_connack.hex() if want_connack else ''}", ok,
                  f"connack {got_connack!r}, then {rest!r} after {elapsed:.1f} s")
            tls.close()
        except Exception as e:  # noqa: BLE001
            check(f"malformed: {name}", False, repr(e))
    good_client(args, "malformed")


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def attack_flood(args):
    before = rss_kb(args.broker_pid)
    socks = []
    refused = 0
    for _ in range(args.count):
        try:
            s = socket.socket()
            s.settimeout(2)
            s.connect(args.addr)
            socks.append(s)
        except OSError:
            refused += 1
            s.close()
    time.sleep(0.5)
    during = rss_kb(args.broker_pid)
    alive = os.path.exists(f"/proc/{args.broker_pid}") if args.broker_pid else True
    check(f"flood: {args.count} connections opened ({len(socks)} accepted by TCP, {refused} "
          f"refused); broker alive", alive)
    # The flood's connections send nothing: the broker drops each after its handshake deadline,
    # freeing its descriptors, and a good client must then get in while the flood still holds
    # its sockets (the kernel backlog).
    deadline = time.monotonic() + args.deadline * 3 + 10
    last = None
    while time.monotonic() < deadline:
        try:
            tls = tls_connect(args, client_id="fault-good-flood")
            tls.sendall(b"\xe0\x00")
            tls.close()
            last = None
            break
        except Exception as e:  # noqa: BLE001
            last = e
            time.sleep(0.5)
    check("flood: a good client gets CONNACK 0 while the flood holds its sockets",
          last is None, repr(last))
    for s in socks:
        s.close()
    time.sleep(1)
    after = rss_kb(args.broker_pid)
    print(f"# flood: broker VmRSS {before} kB before, {during} kB during, {after} kB after")
    check(f"flood: broker memory bounded (VmRSS grew {during - before} kB for "
          f"{args.count} connections, limit {args.rss_limit_kb} kB)",
          before > 0 and during - before < args.rss_limit_kb, f"{before} -> {during} kB")
    good_client(args, "flood (after the flood)")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("attack", choices=["random", "truncated", "stall", "malformed", "flood",
                                      "good"])
    p.add_argument("--addr", required=True, type=parse_addr)
    p.add_argument("--pki", required=True)
    p.add_argument("--server-name")
    p.add_argument("--deadline", type=float, default=2.0, help="broker --handshake-timeout")
    p.add_argument("--count", type=int, default=30)
    p.add_argument("--broker-pid", type=int, default=0)
    p.add_argument("--rss-limit-kb", type=int, default=65536)
    p.add_argument("--known-bugs", action="store_true", help="run the checks of known bugs")
    args = p.parse_args()
    socket.setdefaulttimeout(10)
    {"random": attack_random, "truncated": attack_truncated, "stall": attack_stall,
     "malformed": attack_malformed, "flood": attack_flood,
     "good": lambda a: good_client(a, "good")}[args.attack](args)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
