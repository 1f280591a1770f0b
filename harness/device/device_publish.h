/* device_publish.h: the helper MQTT client of `tlsqual device` that delivers the maximum-size
 * PUBLISH (plan cases `receive_max_publish`) to the device under test, through the broker.
 *
 * Why it is here and not a backend: the backend protocol caps a PUBLISH payload at 60000 bytes
 * (it travels inside a 64 KiB case line), and AWS IoT's packet limit is 128 KB
 * (docs/aws-iot/mqtt.md#packet-size). This client sends one QoS 1 PUBLISH of any size to the
 * harness's own broker child; it uses the OpenSSL the harness already links for the broker,
 * and is never run against anything else. */
#ifndef TQ_DEVICE_PUBLISH_H
#define TQ_DEVICE_PUBLISH_H

#include <stddef.h>

#include "status.h"

/* AWS IoT's largest MQTT packet, fixed header included ("Maximum packet size 128 KB"). */
#define TQ_DEVICE_MAX_PACKET (128 * 1024)

struct tq_device_publish_request {
    const char *host; /* the broker's address (an IP literal) */
    int port;
    const char *cert; /* PEM chain of a registered device certificate */
    const char *key;
    const char *client_id;
    const char *topic;  /* a topic name (no wildcards) */
    size_t payload_len; /* bytes of a fixed, printable pattern */
    int timeout_ms;     /* for the whole exchange */
};

/* tq_device_publish_max_payload returns the largest payload for which a QoS 1 PUBLISH to a topic
 * of `topic_len` bytes is at most TQ_DEVICE_MAX_PACKET bytes on the wire. */
size_t tq_device_publish_max_payload(size_t topic_len);

/* tq_device_publish_send connects (TLS, client certificate), sends CONNECT, waits for CONNACK 0,
 * sends the PUBLISH at QoS 1, waits for its PUBACK, then DISCONNECT and close_notify. The local
 * TCP port goes in `*out_local_port` as soon as it is known (so the caller can find the broker's
 * events for this connection even on failure). Fails with a sentence in `diag`. */
TQ_MUST_USE tq_status tq_device_publish_send(struct tq_diag *diag, long *out_local_port,
                                             const struct tq_device_publish_request *req);

#endif
