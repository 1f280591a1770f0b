#!/usr/bin/python3
"""A complete, minimal tlsqual backend (docs/backend-protocol.md) on Python's ssl module.

It shows a vendor the whole contract: answer --capabilities, read one case per line in --run
mode, do the handshake and an MQTT 3.1.1 CONNECT, map errors to the canonical outcomes, and
write one result line per case. Run by ctest as `tlsqual run --backend exec:<this file>`.
"""
import json
import socket
import ssl
import struct
import sys
import time

VERSIONS = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1,
            "1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
# OpenSSL X509_V_ERR_* codes -> canonical outcomes; anything else is "unmapped".
VERIFY_OUTCOMES = {9: "cert_not_yet_valid", 10: "cert_expired", 2: "cert_untrusted",
                   18: "cert_untrusted", 19: "cert_untrusted", 20: "cert_untrusted",
                   21: "cert_untrusted", 23: "cert_revoked", 7: "bad_signature",
                   62: "hostname_mismatch"}


def capabilities():
    return {"protocol": 1, "name": "python-example", "library": ssl.OPENSSL_VERSION,
            "versions": list(VERSIONS), "suites": [], "groups": [], "sigalgs": [],
            "features": ["sni", "alpn", "crl", "client_cert", "mqtt"]}


def alert_outcome(err):
    """'TLSV1_ALERT_PROTOCOL_VERSION' -> 'alert_received:protocol_version'."""
    reason = (getattr(err, "reason", None) or "").upper()
    for prefix in ("TLSV1_ALERT_", "SSLV3_ALERT_", "TLSV13_ALERT_"):
        if reason.startswith(prefix):
            return "alert_received:" + reason[len(prefix):].lower()
    if reason in ("UNSUPPORTED_PROTOCOL", "NO_PROTOCOLS_AVAILABLE"):
        return "protocol_version"
    return "unmapped"


class ConfigError(Exception):
    """A file the case names cannot be used (outcome config_error)."""


def make_context(case):
    try:
        return configure(case)
    except (ssl.SSLError, OSError) as err:
        raise ConfigError(str(err)) from err


def configure(case):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    versions = case.get("versions", {})
    if versions.get("min", "1.2") < "1.2":
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # OpenSSL 3 refuses TLS < 1.2 at level 1+
    if "min" in versions:
        ctx.minimum_version = VERSIONS[versions["min"]]
    if "max" in versions:
        ctx.maximum_version = VERSIONS[versions["max"]]
    if case.get("verify_peer", True):
        for path in case.get("trust", []):
            ctx.load_verify_locations(cafile=path)
        for path in case.get("crl", []):
            ctx.load_verify_locations(cafile=path)
            ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_CHAIN
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if "cert" in case:
        ctx.load_cert_chain(case["cert"], case.get("key"))
    if case.get("alpn"):
        ctx.set_alpn_protocols(case["alpn"])
    return ctx


def read_exactly(tls, n):
    data = b""
    while len(data) < n:
        chunk = tls.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def mqtt_publish(tls, step, packet_id):
    """Send one PUBLISH; for QoS 1 wait for its PUBACK. Return False if the broker closed."""
    topic, payload, qos = step["topic"].encode(), step.get("payload", "").encode(), step.get("qos", 0)
    body = struct.pack("!H", len(topic)) + topic + (struct.pack("!H", packet_id) if qos else b"") + payload
    if len(body) > 127:
        raise ValueError("this example only writes PUBLISH packets under 128 bytes")
    tls.sendall(bytes([0x30 | (qos << 1), len(body)]) + body)
    return qos == 0 or read_exactly(tls, 4) == bytes([0x40, 2]) + struct.pack("!H", packet_id)


def mqtt_connect(tls, client_id):
    """Send CONNECT; return the CONNACK return code, or None if the broker closed first."""
    cid = client_id.encode()
    body = struct.pack("!H4sBBH", 4, b"MQTT", 4, 2, 60) + struct.pack("!H", len(cid)) + cid
    tls.sendall(bytes([0x10, len(body)]) + body)
    packet = read_exactly(tls, 4)
    return packet[3] if packet and packet[0] == 0x20 else None


def run_case(case, result):
    ctx = make_context(case)
    start = time.monotonic()
    sock = socket.create_connection((case["host"], case["port"]), timeout=case.get("timeout_ms", 10000) / 1000)
    result["local_port"] = sock.getsockname()[1]
    name = case.get("server_name")
    sni = name if case.get("send_sni", True) else None
    if sni is None and name:
        ctx.check_hostname = False  # Python ties the name check to SNI; a real stack checks anyway
    with ctx.wrap_socket(sock, server_hostname=sni) as tls:
        result.update(handshake="completed", version=tls.version(), alpn=tls.selected_alpn_protocol())
        result["timings_ms"] = {"handshake": round((time.monotonic() - start) * 1000, 3)}
        if "mqtt" not in case:
            return "ok"
        rc = mqtt_connect(tls, case["mqtt"].get("client_id", "python-example"))
        result["mqtt"] = {"connack": rc}
        if rc is None:
            return "closed_by_peer"
        if rc != 0:
            return "connack_refused"
        for packet_id, step in enumerate(case["mqtt"].get("publish", []), start=1):
            if not mqtt_publish(tls, step, packet_id):
                return "mqtt_error"
        tls.sendall(b"\xe0\x00")  # DISCONNECT
        return "ok"


def handle(line):
    case = json.loads(line)
    result = {"id": case.get("id"), "handshake": "failed", "error": None}
    mqtt = case.get("mqtt", {})
    if case.get("suites") or mqtt.get("subscribe") or mqtt.get("expect_messages"):
        result.update(outcome="unsupported", handshake="not_started",
                      reason="this example pins no suites and does not subscribe")
        return result
    try:
        result["outcome"] = run_case(case, result)
    except ConfigError as err:
        result.update(outcome="config_error", handshake="not_started", error=str(err), reason=str(err))
    except ssl.SSLCertVerificationError as err:
        result.update(outcome=VERIFY_OUTCOMES.get(err.verify_code, "unmapped"), error=str(err))
    except ssl.SSLError as err:
        outcome = alert_outcome(err)
        if result["handshake"] == "completed" and outcome == "unmapped":
            outcome = "closed_by_peer"
        result.update(outcome=outcome, error=str(err))
    except (ConnectionResetError, BrokenPipeError) as err:
        result.update(outcome="closed_by_peer", error=str(err))
    except socket.timeout as err:
        result.update(outcome="timeout", error=str(err))
    except OSError as err:
        result.update(outcome="connect_failed", error=str(err))
    return result


def main(argv):
    if argv[1:] == ["--capabilities"]:
        print(json.dumps(capabilities()))
        return 0
    if argv[1:] != ["--run"]:
        print("usage: python_backend.py --capabilities | --run", file=sys.stderr)
        return 2
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(handle(line)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
