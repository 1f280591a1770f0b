#!/usr/bin/python3
"""broker_mqtt5_paho: an MQTT 5 client built on Eclipse paho-mqtt 1.6.1 (Debian
python3-paho-mqtt), for tests/e2e/broker_mqtt5_test.sh: what a real MQTT 5 client library sees
of `tlsqual broker`. It prints one JSON object per line for each thing it saw ("connack",
"suback", "disconnect", "timeout") and exits 0 once the awaited thing came, 1 otherwise.

usage: broker_mqtt5_paho.py PORT CAFILE CERT KEY [options]
  --client-id ID         "" asks the broker to assign one (default "")
  --keepalive S          the CONNECT's keep-alive (default 60)
  --session-expiry S     a Session Expiry Interval property (default: none)
  --no-clean-start       Clean Start 0
  --subscription-id N    after CONNACK, SUBSCRIBE t/# with Subscription Identifier N
  --no-ping              never send PINGREQ (to be disconnected for keep-alive)
  --publish TOPIC        after CONNACK, PUBLISH QoS 1 "m1" on TOPIC
  --alias N              ... with Topic Alias N, then "m2" with an empty topic and alias N
  --send-hex HEX         after CONNACK, write these bytes as they are (a broken packet)
  --subscribe FILTER     after CONNACK, SUBSCRIBE to FILTER at QoS 1
  --no-puback            never acknowledge a QoS 1 PUBLISH (it stays in flight)
  --count N              with --until message: how many messages to wait for (default 1)
  --until WHAT           connack (default): stop after CONNACK; disconnect: wait for the
                         server's DISCONNECT; puback: wait for the PUBACKs of --publish;
                         message: wait for --count messages
  --timeout S            give up after S seconds (default 10)
Loopback only: it connects to 127.0.0.1.
"""
import argparse
import json
import ssl
import sys
import time

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes


def props_dict(props):
    return props.json() if props is not None else {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("cafile")
    ap.add_argument("cert")
    ap.add_argument("key")
    ap.add_argument("--client-id", default="")
    ap.add_argument("--keepalive", type=int, default=60)
    ap.add_argument("--session-expiry", type=int)
    ap.add_argument("--no-clean-start", action="store_true")
    ap.add_argument("--subscription-id", type=int)
    ap.add_argument("--no-ping", action="store_true")
    ap.add_argument("--publish")
    ap.add_argument("--alias", type=int)
    ap.add_argument("--send-hex")
    ap.add_argument("--subscribe")
    ap.add_argument("--no-puback", action="store_true")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--until", choices=["connack", "disconnect", "puback", "message"],
                    default="connack")
    ap.add_argument("--timeout", type=float, default=10)
    a = ap.parse_args()

    seen = {}

    def out(event, **fields):
        seen[event] = fields
        print(json.dumps(dict(event=event, **fields)), flush=True)

    def on_connect(client, userdata, flags, rc, properties):
        out("connack", reason_code=rc.value, reason=str(rc),
            session_present=bool(flags.get("session present")),
            properties=props_dict(properties))
        if rc.value != 0:
            return
        if a.subscription_id is not None:
            sp = Properties(PacketTypes.SUBSCRIBE)
            sp.SubscriptionIdentifier = a.subscription_id
            client.subscribe("t/#", qos=1, properties=sp)
        if a.subscribe is not None:
            client.subscribe(a.subscribe, qos=1)
        if a.publish is not None:
            publish(client)
        if a.send_hex is not None:
            client.socket().send(bytes.fromhex(a.send_hex))

    acks = []

    def publish(client):
        pp = Properties(PacketTypes.PUBLISH)
        if a.alias is not None:
            pp.TopicAlias = a.alias
        client.publish(a.publish, "m1", qos=1, properties=pp)
        if a.alias is not None:
            client.publish("", "m2", qos=1, properties=pp)

    messages = []

    def on_message(client, userdata, m):
        messages.append(m)
        out("message" if len(messages) >= a.count else "message_%d" % len(messages),
            topic=m.topic, payload=m.payload.decode("utf-8", "replace"), qos=m.qos,
            retain=bool(m.retain), dup=bool(m.dup), mid=m.mid)

    def on_publish(client, userdata, mid):
        acks.append(mid)
        if len(acks) == (2 if a.alias is not None else 1):
            out("puback", mids=acks)

    def on_subscribe(client, userdata, mid, codes, properties):
        out("suback", codes=[c.value for c in codes])

    def on_disconnect(client, userdata, rc, properties):
        code = rc.value if hasattr(rc, "value") else rc
        out("disconnect", reason_code=code, reason=str(rc), properties=props_dict(properties))

    client = mqtt.Client(client_id=a.client_id, protocol=mqtt.MQTTv5)
    client.tls_set(ca_certs=a.cafile, certfile=a.cert, keyfile=a.key,
                   cert_reqs=ssl.CERT_REQUIRED)
    client.tls_insecure_set(True)   # the mock server certificate names the ATS endpoint
    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_publish = on_publish
    client.on_message = on_message
    if a.no_puback:
        client._send_puback = lambda mid: mqtt.MQTT_ERR_SUCCESS
    client.on_disconnect = on_disconnect
    if a.no_ping:
        client._check_keepalive = lambda: mqtt.MQTT_ERR_SUCCESS
    cp = Properties(PacketTypes.CONNECT)
    if a.session_expiry is not None:
        cp.SessionExpiryInterval = a.session_expiry
    client.connect("127.0.0.1", a.port, keepalive=a.keepalive,
                   clean_start=not a.no_clean_start, properties=cp)
    deadline = time.monotonic() + a.timeout
    while a.until not in seen and "disconnect" not in seen and time.monotonic() < deadline:
        client.loop(timeout=0.1)
    if a.until not in seen:
        out("timeout", waited=a.until)
        return 1
    if a.until != "disconnect" and seen["connack"]["reason_code"] == 0:
        client.disconnect()
        client.loop(timeout=0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
