/* profiles.c: the table of every artifact of the mock PKI. Adding an artifact is adding a row;
 * docs/pki.md lists them all. Shapes follow docs/aws-iot/server-chains.md and
 * docs/aws-iot/client-certificates.md. */
#include <stdint.h>
#include <string.h>

#include "certs.h"
#include "certs_internal.h"

/* docs/aws-iot/server-chains.md#example-leaf: the ATS leaf has a wildcard SAN plus the bare
 * regional name; the mock also names the ATS endpoint itself. */
#define SAN_ATS                                                                                    \
    "DNS:*.iot.us-east-1.amazonaws.test,DNS:iot.us-east-1.amazonaws.test,"                         \
    "DNS:" TQ_ENDPOINT_ATS
#define SAN_LEGACY                                                                                 \
    "DNS:*.iot.us-east-1.amazonaws.test,DNS:iot.us-east-1.amazonaws.test,"                         \
    "DNS:" TQ_ENDPOINT_LEGACY
#define SAN_WRONG_HOST "DNS:*.iot.eu-west-1.amazonaws.test,DNS:iot.eu-west-1.amazonaws.test"
/* About 20% more DER than the usual leaf: the same names for eight more regions. */
#define SAN_LARGE                                                                                  \
    SAN_ATS ",DNS:*.iot.us-east-2.amazonaws.test,DNS:*.iot.us-west-1.amazonaws.test,"              \
            "DNS:*.iot.us-west-2.amazonaws.test,DNS:*.iot.eu-west-1.amazonaws.test,"               \
            "DNS:*.iot.eu-central-1.amazonaws.test,DNS:*.iot.ap-south-1.amazonaws.test,"           \
            "DNS:*.iot.ap-northeast-1.amazonaws.test,DNS:*.iot.ap-southeast-2.amazonaws.test"

#define LEAF_CN "CN=*.iot.us-east-1.amazonaws.test"
#define DEVICE_O ",O=Mock Device Maker,C=US"

/* Validity, in days relative to the time of generation. */
#define ROOT_DAYS .not_before_days = -365, .not_after_days = 20 * 365
#define CA_DAYS .not_before_days = -30, .not_after_days = 10 * 365
#define LEAF_DAYS .not_before_days = -1, .not_after_days = 364
#define DEVICE_DAYS .not_before_days = -1, .not_after_days = 10 * 365
#define EXPIRED_DAYS .not_before_days = -730, .not_after_days = -365
#define FUTURE_DAYS .not_before_days = 365, .not_after_days = 730

#define ROOT .ext = TQ_EXT_CA, ROOT_DAYS
#define INTERMEDIATE .ext = TQ_EXT_CA | TQ_EXT_PATHLEN0, CA_DAYS
/* docs/aws-iot/server-chains.md#example-leaf: the 2020 ATS leaf carried serverAuth and
 * clientAuth. */
#define SERVER_LEAF .role = "server-leaf", .ext = TQ_EXT_SERVER | TQ_EXT_CLIENT, .leaf = true
#define ATS_LEAF SERVER_LEAF, .subject = LEAF_CN, .san = SAN_ATS
#define DEVICE_BASE .role = "device", .ext = TQ_EXT_CLIENT, .leaf = true
#define DEVICE DEVICE_BASE, DEVICE_DAYS
#define ACTIVE .status = TQ_REG_ACTIVE

static const struct tq__profile profiles[] = {
    /* ATS-like server side: Starfield-like roots first, since they cross-sign the others. */
    {.name = "sf-class2-ca",
     .role = "server-root",
     .issuer = "sf-class2-ca",
     .subject = "OU=Mock Starfield Class 2 Certification Authority,"
                "O=Mock Starfield Technologies\\, Inc.,C=US",
     .key_type = TQ_KEY_RSA_2048,
     .digest = TQ_SIG_SHA1,
     ROOT,
     .purpose = "Starfield-Class-2-like root (SHA-1 self-signature, as the real one); trust "
                "anchor of the 4-deep chain"},
    {.name = "sfs-root-ca-g2",
     .role = "server-root",
     .issuer = "sfs-root-ca-g2",
     .subject = "CN=Mock Starfield Services Root Certificate Authority - G2,"
                "O=Mock Starfield Technologies\\, Inc.,L=Scottsdale,ST=Arizona,C=US",
     .key_type = TQ_KEY_RSA_2048,
     ROOT,
     .purpose = "Starfield-Services-G2-like root (self-signed); cross-signs the Amazon-like roots"},
    {.name = "sfs-root-ca-g2-cross",
     .role = "server-cross",
     .issuer = "sf-class2-ca",
     .key_of = "sfs-root-ca-g2",
     .subject = "CN=Mock Starfield Services Root Certificate Authority - G2,"
                "O=Mock Starfield Technologies\\, Inc.,L=Scottsdale,ST=Arizona,C=US",
     .key_type = TQ_KEY_RSA_2048,
     ROOT,
     .purpose = "the G2 root cross-signed by the Class-2-like root (same subject and key)"},
    {.name = "ats-root-ca-1",
     .role = "server-root",
     .issuer = "ats-root-ca-1",
     .subject = "CN=Mock Amazon Root CA 1,O=Mock Amazon,C=US",
     .key_type = TQ_KEY_RSA_2048,
     ROOT,
     .purpose = "ATS-like RSA 2048 root (Amazon Root CA 1)"},
    {.name = "ats-root-ca-2",
     .role = "server-root",
     .issuer = "ats-root-ca-2",
     .subject = "CN=Mock Amazon Root CA 2,O=Mock Amazon,C=US",
     .key_type = TQ_KEY_RSA_4096,
     .digest = TQ_SIG_SHA384,
     ROOT,
     .purpose = "ATS-like RSA 4096 root (Amazon Root CA 2)"},
    {.name = "ats-root-ca-3",
     .role = "server-root",
     .issuer = "ats-root-ca-3",
     .subject = "CN=Mock Amazon Root CA 3,O=Mock Amazon,C=US",
     .key_type = TQ_KEY_EC_P256,
     ROOT,
     .purpose = "ATS-like P-256 root (Amazon Root CA 3)"},
    {.name = "ats-root-ca-4",
     .role = "server-root",
     .issuer = "ats-root-ca-4",
     .subject = "CN=Mock Amazon Root CA 4,O=Mock Amazon,C=US",
     .key_type = TQ_KEY_EC_P384,
     .digest = TQ_SIG_SHA384,
     ROOT,
     .purpose = "ATS-like P-384 root (Amazon Root CA 4)"},
    {.name = "ats-root-ca-1-cross",
     .role = "server-cross",
     .issuer = "sfs-root-ca-g2",
     .key_of = "ats-root-ca-1",
     .subject = "CN=Mock Amazon Root CA 1,O=Mock Amazon,C=US",
     .key_type = TQ_KEY_RSA_2048,
     ROOT,
     .purpose = "Root CA 1 cross-signed by the G2 root (same subject and key)"},
    {.name = "ats-root-ca-2-cross",
     .role = "server-cross",
     .issuer = "sfs-root-ca-g2",
     .key_of = "ats-root-ca-2",
     .subject = "CN=Mock Amazon Root CA 2,O=Mock Amazon,C=US",
     .key_type = TQ_KEY_RSA_4096,
     ROOT,
     .purpose = "Root CA 2 cross-signed by the G2 root (same subject and key)"},
    {.name = "ats-root-ca-3-cross",
     .role = "server-cross",
     .issuer = "sfs-root-ca-g2",
     .key_of = "ats-root-ca-3",
     .subject = "CN=Mock Amazon Root CA 3,O=Mock Amazon,C=US",
     .key_type = TQ_KEY_EC_P256,
     ROOT,
     .purpose = "Root CA 3 cross-signed by the G2 root (same subject and key)"},
    {.name = "ats-root-ca-4-cross",
     .role = "server-cross",
     .issuer = "sfs-root-ca-g2",
     .key_of = "ats-root-ca-4",
     .subject = "CN=Mock Amazon Root CA 4,O=Mock Amazon,C=US",
     .key_type = TQ_KEY_EC_P384,
     ROOT,
     .purpose = "Root CA 4 cross-signed by the G2 root (same subject and key)"},
    {.name = "ats-server-ca-rsa",
     .role = "server-intermediate",
     .issuer = "ats-root-ca-1",
     .subject = "CN=Mock Amazon RSA 2048 M01,O=Mock Amazon,C=US",
     .key_type = TQ_KEY_RSA_2048,
     .ext = TQ_EXT_CA | TQ_EXT_PATHLEN0 | TQ_EXT_CRL,
     CA_DAYS,
     .purpose = "RSA intermediate under Root CA 1; its CRL lists server-revoked"},
    {.name = "ats-server-ca-ecdsa",
     .role = "server-intermediate",
     .issuer = "ats-root-ca-3",
     .subject = "CN=Mock Amazon ECDSA 256 M01,O=Mock Amazon,C=US",
     .key_type = TQ_KEY_EC_P256,
     INTERMEDIATE,
     .purpose = "ECDSA intermediate under Root CA 3"},
    {.name = "ats-server-rsa",
     ATS_LEAF,
     .issuer = "ats-server-ca-rsa",
     .key_type = TQ_KEY_RSA_2048,
     LEAF_DAYS,
     .chain = {"ats-server-ca-rsa"},
     .purpose = "RSA leaf for the ATS endpoint; chain = leaf + intermediate"},
    {.name = "ats-server-rsa-cross",
     .role = "server-leaf",
     .alias_of = "ats-server-rsa",
     .leaf = true,
     .chain = {"ats-server-ca-rsa", "ats-root-ca-1-cross"},
     .purpose = "ats-server-rsa sent with the cross-signed Root CA 1"},
    {.name = "ats-server-rsa-cross-g2",
     .role = "server-leaf",
     .alias_of = "ats-server-rsa",
     .leaf = true,
     .chain = {"ats-server-ca-rsa", "ats-root-ca-1-cross", "sfs-root-ca-g2-cross"},
     .purpose = "ats-server-rsa in the 4-deep chain seen in the field (+ cross-signed G2)"},
    {.name = "ats-server-ecdsa",
     ATS_LEAF,
     .issuer = "ats-server-ca-ecdsa",
     .key_type = TQ_KEY_EC_P256,
     LEAF_DAYS,
     .chain = {"ats-server-ca-ecdsa"},
     .purpose = "ECDSA P-256 leaf for the ATS endpoint; chain = leaf + intermediate"},
    {.name = "ats-server-ecdsa-cross",
     .role = "server-leaf",
     .alias_of = "ats-server-ecdsa",
     .leaf = true,
     .chain = {"ats-server-ca-ecdsa", "ats-root-ca-3-cross"},
     .purpose = "ats-server-ecdsa sent with the cross-signed Root CA 3"},
    {.name = "ats-server-ecdsa-cross-g2",
     .role = "server-leaf",
     .alias_of = "ats-server-ecdsa",
     .leaf = true,
     .chain = {"ats-server-ca-ecdsa", "ats-root-ca-3-cross", "sfs-root-ca-g2-cross"},
     .purpose = "ats-server-ecdsa in the 4-deep chain (+ cross-signed G2)"},

    /* Legacy VeriSign-like server side (docs/aws-iot/server-chains.md#legacy-verisign-chain). */
    {.name = "legacy-root-ca-g5",
     .role = "server-root",
     .issuer = "legacy-root-ca-g5",
     .subject = "CN=Mock VeriSign Class 3 Public Primary Cert Authority - G5,"
                "OU=(c) 2006 Mock VeriSign\\, Inc. - For authorized use only,"
                "OU=Mock VeriSign Trust Network,O=Mock VeriSign\\, Inc.,C=US",
     .key_type = TQ_KEY_RSA_2048,
     .digest = TQ_SIG_SHA1,
     ROOT,
     .purpose = "VeriSign-Class-3-G5-like legacy root (SHA-1 self-signature, as the real one)"},
    {.name = "legacy-server-ca-g4",
     .role = "server-intermediate",
     .issuer = "legacy-root-ca-g5",
     .subject = "CN=Mock Symantec Class 3 Secure Server CA - G4,OU=Mock Symantec Trust Network,"
                "O=Mock Symantec Corporation,C=US",
     .key_type = TQ_KEY_RSA_2048,
     INTERMEDIATE,
     .purpose = "Symantec-G4-like legacy intermediate"},
    {.name = "legacy-server-rsa",
     SERVER_LEAF,
     .issuer = "legacy-server-ca-g4",
     .subject = LEAF_CN ",O=Mock Amazon.com\\, Inc.,L=Seattle,ST=Washington,C=US",
     .san = SAN_LEGACY,
     .key_type = TQ_KEY_RSA_2048,
     LEAF_DAYS,
     .chain = {"legacy-server-ca-g4"},
     .purpose = "RSA leaf for the legacy (non -ats) endpoint; chain = leaf + G4"},

    /* Bad server side. Unless said otherwise: an RSA leaf under ats-server-ca-rsa. */
    {.name = "server-expired",
     ATS_LEAF,
     .issuer = "ats-server-ca-rsa",
     .key_type = TQ_KEY_RSA_2048,
     EXPIRED_DAYS,
     .chain = {"ats-server-ca-rsa"},
     .purpose = "expired a year ago"},
    {.name = "server-not-yet-valid",
     ATS_LEAF,
     .issuer = "ats-server-ca-rsa",
     .key_type = TQ_KEY_RSA_2048,
     FUTURE_DAYS,
     .chain = {"ats-server-ca-rsa"},
     .purpose = "valid only from a year from now"},
    {.name = "server-wrong-host",
     SERVER_LEAF,
     .issuer = "ats-server-ca-rsa",
     .subject = "CN=*.iot.eu-west-1.amazonaws.test",
     .san = SAN_WRONG_HOST,
     .key_type = TQ_KEY_RSA_2048,
     LEAF_DAYS,
     .chain = {"ats-server-ca-rsa"},
     .purpose = "names another region's endpoints, not the ATS endpoint"},
    {.name = "server-self-signed",
     ATS_LEAF,
     .issuer = "server-self-signed",
     .key_type = TQ_KEY_RSA_2048,
     LEAF_DAYS,
     .purpose = "self-signed leaf with the right names"},
    {.name = "unknown-root-ca",
     .role = "server-root",
     .issuer = "unknown-root-ca",
     .subject = "CN=Mock Unknown Root CA,O=Mock Nobody,C=US",
     .key_type = TQ_KEY_RSA_2048,
     ROOT,
     .purpose = "a root no trust store holds"},
    {.name = "unknown-server-ca",
     .role = "server-intermediate",
     .issuer = "unknown-root-ca",
     .subject = "CN=Mock Unknown Server CA,O=Mock Nobody,C=US",
     .key_type = TQ_KEY_RSA_2048,
     INTERMEDIATE,
     .purpose = "intermediate under unknown-root-ca"},
    {.name = "server-unknown-root",
     ATS_LEAF,
     .issuer = "unknown-server-ca",
     .key_type = TQ_KEY_RSA_2048,
     LEAF_DAYS,
     .chain = {"unknown-server-ca"},
     .purpose = "right names, but chains to unknown-root-ca"},
    {.name = "server-incomplete-chain",
     .role = "server-leaf",
     .alias_of = "ats-server-rsa",
     .leaf = true,
     .purpose = "ats-server-rsa sent without its intermediate"},
    {.name = "ats-server-ca-rsa-sha1",
     .role = "server-intermediate",
     .issuer = "ats-root-ca-1",
     .subject = "CN=Mock Amazon RSA 2048 M99 SHA1,O=Mock Amazon,C=US",
     .key_type = TQ_KEY_RSA_2048,
     .digest = TQ_SIG_SHA1,
     INTERMEDIATE,
     .purpose = "intermediate that Root CA 1 signed with SHA-1"},
    {.name = "server-sha1-intermediate",
     ATS_LEAF,
     .issuer = "ats-server-ca-rsa-sha1",
     .key_type = TQ_KEY_RSA_2048,
     LEAF_DAYS,
     .chain = {"ats-server-ca-rsa-sha1"},
     .purpose = "leaf under the SHA-1 intermediate"},
    {.name = "server-revoked",
     ATS_LEAF,
     .issuer = "ats-server-ca-rsa",
     .revoked = true,
     .key_type = TQ_KEY_RSA_2048,
     LEAF_DAYS,
     .chain = {"ats-server-ca-rsa"},
     .purpose = "listed in ats-server-ca-rsa.crl.pem"},
    {.name = "server-large",
     SERVER_LEAF,
     .subject = LEAF_CN,
     .san = SAN_LARGE,
     .issuer = "ats-server-ca-rsa",
     .key_type = TQ_KEY_RSA_2048,
     LEAF_DAYS,
     .chain = {"ats-server-ca-rsa"},
     .purpose = "about 20% larger than ats-server-rsa (eight more SAN names)"},
    {.name = "server-no-server-auth",
     .role = "server-leaf",
     .leaf = true,
     .ext = TQ_EXT_CLIENT,
     .subject = LEAF_CN,
     .san = SAN_ATS,
     .issuer = "ats-server-ca-rsa",
     .key_type = TQ_KEY_RSA_2048,
     LEAF_DAYS,
     .chain = {"ats-server-ca-rsa"},
     .purpose = "extendedKeyUsage clientAuth only"},
    {.name = "server-rsa-1024",
     ATS_LEAF,
     .issuer = "ats-server-ca-rsa",
     .key_type = TQ_KEY_RSA_1024,
     LEAF_DAYS,
     .chain = {"ats-server-ca-rsa"},
     .purpose = "RSA 1024 key (below the 2048-bit minimum of the ATS leaves)"},
    {.name = "server-sha1",
     ATS_LEAF,
     .issuer = "ats-server-ca-rsa",
     .digest = TQ_SIG_SHA1,
     .key_type = TQ_KEY_RSA_2048,
     LEAF_DAYS,
     .chain = {"ats-server-ca-rsa"},
     .purpose = "signed by ats-server-ca-rsa with SHA-1"},

    /* Device side: CAs. */
    {.name = "device-ca",
     .role = "device-ca",
     .issuer = "device-ca",
     .subject = "CN=Mock Device CA" DEVICE_O,
     .key_type = TQ_KEY_RSA_2048,
     .ext = TQ_EXT_CA | TQ_EXT_CRL,
     ROOT_DAYS,
     ACTIVE,
     .purpose = "registered device CA (ACTIVE); its CRL lists device-revoked"},
    {.name = "device-ca-ecdsa",
     .role = "device-ca",
     .issuer = "device-ca-ecdsa",
     .subject = "CN=Mock Device CA ECDSA" DEVICE_O,
     .key_type = TQ_KEY_EC_P384,
     .digest = TQ_SIG_SHA384,
     ROOT,
     ACTIVE,
     .purpose = "registered P-384 device CA (ACTIVE) for the ECDSA signatures"},
    {.name = "device-ca-dsa",
     .role = "device-ca",
     .issuer = "device-ca-dsa",
     .subject = "CN=Mock Device CA DSA" DEVICE_O,
     .key_type = TQ_KEY_DSA_2048,
     ROOT,
     ACTIVE,
     .purpose = "registered DSA 2048 device CA (ACTIVE) for DSA_WITH_SHA256"},
    {.name = "unregistered-ca",
     .role = "device-ca",
     .issuer = "unregistered-ca",
     .subject = "CN=Mock Unregistered CA" DEVICE_O,
     .key_type = TQ_KEY_RSA_2048,
     ROOT,
     .purpose = "device CA absent from the registry"},

    /* Device side: one certificate per signature algorithm and key type AWS IoT lists. */
    {.name = "device-rsa-2048",
     DEVICE,
     .issuer = "device-ca",
     .subject = "CN=device-rsa-2048" DEVICE_O,
     .key_type = TQ_KEY_RSA_2048,
     ACTIVE,
     .purpose = "good device: RSA 2048, SHA256WITHRSA"},
    {.name = "device-rsa-2048-sha384",
     DEVICE,
     .issuer = "device-ca",
     .subject = "CN=device-rsa-2048-sha384" DEVICE_O,
     .key_type = TQ_KEY_RSA_2048,
     .digest = TQ_SIG_SHA384,
     ACTIVE,
     .purpose = "good device: SHA384WITHRSA"},
    {.name = "device-rsa-2048-sha512",
     DEVICE,
     .issuer = "device-ca",
     .subject = "CN=device-rsa-2048-sha512" DEVICE_O,
     .key_type = TQ_KEY_RSA_2048,
     .digest = TQ_SIG_SHA512,
     ACTIVE,
     .purpose = "good device: SHA512WITHRSA"},
    {.name = "device-rsa-2048-pss",
     DEVICE,
     .issuer = "device-ca",
     .subject = "CN=device-rsa-2048-pss" DEVICE_O,
     .key_type = TQ_KEY_RSA_2048,
     .digest = TQ_SIG_PSS_SHA256,
     ACTIVE,
     .purpose = "good device: RSASSA-PSS (SHA-256)"},
    {.name = "device-rsa-4096",
     DEVICE,
     .issuer = "device-ca",
     .subject = "CN=device-rsa-4096" DEVICE_O,
     .key_type = TQ_KEY_RSA_4096,
     ACTIVE,
     .purpose = "good device: RSA 4096 key"},
    {.name = "device-dsa-2048-sha256",
     DEVICE,
     .issuer = "device-ca-dsa",
     .subject = "CN=device-dsa-2048-sha256" DEVICE_O,
     .key_type = TQ_KEY_DSA_2048,
     ACTIVE,
     .purpose = "good device: DSA 2048 key, DSA_WITH_SHA256"},
    {.name = "device-ecdsa-p256-sha256",
     DEVICE,
     .issuer = "device-ca-ecdsa",
     .subject = "CN=device-ecdsa-p256-sha256" DEVICE_O,
     .key_type = TQ_KEY_EC_P256,
     ACTIVE,
     .purpose = "good device: P-256 key, ECDSA-WITH-SHA256"},
    {.name = "device-ecdsa-p384-sha384",
     DEVICE,
     .issuer = "device-ca-ecdsa",
     .subject = "CN=device-ecdsa-p384-sha384" DEVICE_O,
     .key_type = TQ_KEY_EC_P384,
     .digest = TQ_SIG_SHA384,
     ACTIVE,
     .purpose = "good device: P-384 key, ECDSA-WITH-SHA384"},
    {.name = "device-ecdsa-p521-sha512",
     DEVICE,
     .issuer = "device-ca-ecdsa",
     .subject = "CN=device-ecdsa-p521-sha512" DEVICE_O,
     .key_type = TQ_KEY_EC_P521,
     .digest = TQ_SIG_SHA512,
     ACTIVE,
     .purpose = "good device: P-521 key, ECDSA-WITH-SHA512"},

    /* Device side: registry states. */
    {.name = "device-inactive",
     DEVICE,
     .issuer = "device-ca",
     .subject = "CN=device-inactive" DEVICE_O,
     .key_type = TQ_KEY_RSA_2048,
     .status = TQ_REG_INACTIVE,
     .purpose = "valid certificate, INACTIVE in the registry"},
    {.name = "device-revoked",
     DEVICE,
     .issuer = "device-ca",
     .revoked = true,
     .subject = "CN=device-revoked" DEVICE_O,
     .key_type = TQ_KEY_RSA_2048,
     .status = TQ_REG_REVOKED,
     .purpose = "REVOKED in the registry and listed in device-ca's CRL"},
    {.name = "device-pending-transfer",
     DEVICE,
     .issuer = "device-ca",
     .subject = "CN=device-pending-transfer" DEVICE_O,
     .key_type = TQ_KEY_EC_P256,
     .status = TQ_REG_PENDING_TRANSFER,
     .purpose = "PENDING_TRANSFER in the registry"},
    {.name = "device-pending-activation",
     DEVICE,
     .issuer = "device-ca",
     .subject = "CN=device-pending-activation" DEVICE_O,
     .key_type = TQ_KEY_EC_P256,
     .status = TQ_REG_PENDING_ACTIVATION,
     .purpose = "PENDING_ACTIVATION in the registry"},
    {.name = "device-register-inactive",
     DEVICE,
     .issuer = "device-ca",
     .subject = "CN=device-register-inactive" DEVICE_O,
     .key_type = TQ_KEY_EC_P256,
     .status = TQ_REG_REGISTER_INACTIVE,
     .purpose = "REGISTER_INACTIVE in the registry"},
    {.name = "device-unregistered",
     DEVICE,
     .issuer = "device-ca",
     .subject = "CN=device-unregistered" DEVICE_O,
     .key_type = TQ_KEY_RSA_2048,
     .purpose = "issued by the registered device-ca but absent from the registry"},
    {.name = "device-unregistered-ca",
     DEVICE,
     .issuer = "unregistered-ca",
     .subject = "CN=device-unregistered-ca" DEVICE_O,
     .key_type = TQ_KEY_RSA_2048,
     .purpose = "issued by unregistered-ca; absent from the registry"},
    {.name = "device-sni-only",
     DEVICE,
     .issuer = "unregistered-ca",
     .subject = "CN=device-sni-only" DEVICE_O,
     .key_type = TQ_KEY_RSA_2048,
     ACTIVE,
     .mode = TQ_MODE_SNI_ONLY,
     .purpose = "registered without a CA in SNI_ONLY mode (ACTIVE); needs SNI to connect"},
    {.name = "device-shared",
     DEVICE,
     .issuer = "device-ca",
     .subject = "CN=device-shared" DEVICE_O,
     .key_type = TQ_KEY_RSA_2048,
     ACTIVE,
     .purpose = "one ACTIVE certificate meant to be used by two devices at once"},

    /* Device side: bad certificates (ACTIVE, so only the certificate itself is at fault). */
    {.name = "device-expired",
     DEVICE_BASE,
     .issuer = "device-ca",
     EXPIRED_DAYS,
     .subject = "CN=device-expired" DEVICE_O,
     .key_type = TQ_KEY_RSA_2048,
     ACTIVE,
     .purpose = "expired a year ago"},
    {.name = "device-not-yet-valid",
     DEVICE_BASE,
     .issuer = "device-ca",
     FUTURE_DAYS,
     .subject = "CN=device-not-yet-valid" DEVICE_O,
     .key_type = TQ_KEY_RSA_2048,
     ACTIVE,
     .purpose = "valid only from a year from now"},
    {.name = "device-wrong-key",
     DEVICE,
     .issuer = "device-ca",
     .subject = "CN=device-wrong-key" DEVICE_O,
     .key_type = TQ_KEY_RSA_2048,
     ACTIVE,
     .mismatched_key = "device-rsa-2048",
     .purpose = "carries device-rsa-2048's public key; device-wrong-key.key does not match it"},
    {.name = "device-rsa-1024",
     DEVICE,
     .issuer = "device-ca",
     .subject = "CN=device-rsa-1024" DEVICE_O,
     .key_type = TQ_KEY_RSA_1024,
     ACTIVE,
     .purpose = "RSA 1024 key (below AWS IoT's 2048-bit minimum)"},
    {.name = "device-sha1",
     DEVICE,
     .issuer = "device-ca",
     .digest = TQ_SIG_SHA1,
     .subject = "CN=device-sha1" DEVICE_O,
     .key_type = TQ_KEY_RSA_2048,
     ACTIVE,
     .purpose = "signed by device-ca with SHA-1"},
    {.name = "device-malformed",
     DEVICE,
     .issuer = "device-ca",
     .flaw = TQ_FLAW_MALFORMED,
     .subject = "CN=device-malformed" DEVICE_O,
     .key_type = TQ_KEY_RSA_2048,
     ACTIVE,
     .purpose = "one byte of the issuer name flipped after signing: the signature fails"},
};

enum { NUM_PROFILES = sizeof(profiles) / sizeof(profiles[0]) };

/* see certs_internal.h */
const struct tq__profile *tq__profiles(size_t *out_num)
{
    *out_num = NUM_PROFILES;
    return profiles;
}

/* see certs_internal.h */
size_t tq__profile_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < NUM_PROFILES; i++)
        if (strcmp(profiles[i].name, name) == 0)
            return i;
    return SIZE_MAX;
}

/* see certs_internal.h */
size_t tq__cert_row(size_t i)
{
    return profiles[i].alias_of ? tq__profile_find(profiles[i].alias_of) : i;
}

/* see certs_internal.h */
size_t tq__key_row(size_t i)
{
    size_t c = tq__cert_row(i);
    return profiles[c].key_of ? tq__profile_find(profiles[c].key_of) : c;
}

/* see certs_internal.h */
size_t tq__pubkey_row(size_t i)
{
    size_t c = tq__cert_row(i);
    return profiles[c].mismatched_key ? tq__profile_find(profiles[c].mismatched_key)
                                      : tq__key_row(c);
}

/* see certs_internal.h */
bool tq__owns_key(size_t i)
{
    return profiles[i].alias_of == NULL && profiles[i].key_of == NULL;
}

/* refers_back is true when `name` is a row before `i` (or `i` itself when `self_ok`). */
static bool refers_back(const char *name, size_t i, bool self_ok)
{
    size_t j = tq__profile_find(name);
    return j < i || (self_ok && j == i);
}

static tq_status check_row(struct tq_diag *diag, size_t i)
{
    const struct tq__profile *p = &profiles[i];
    const char *bad = NULL;
    if (tq__profile_find(p->name) != i)
        bad = "its name is not unique";
    else if (p->alias_of && (!refers_back(p->alias_of, i, false) ||
                             profiles[tq__profile_find(p->alias_of)].alias_of != NULL))
        bad = "alias_of must name an earlier row that is not an alias";
    else if (!p->alias_of && (!refers_back(p->issuer, i, true) || p->subject == NULL))
        bad = "it needs a subject and an issuer that is itself or an earlier row";
    else if (p->key_of && (!refers_back(p->key_of, i, false) || !tq__owns_key(tq__key_row(i)) ||
                           profiles[tq__key_row(i)].key_type != p->key_type))
        bad = "key_of must name an earlier key owner of the same key type";
    else if (p->mismatched_key && !refers_back(p->mismatched_key, i, false))
        bad = "mismatched_key must name an earlier row";
    for (size_t k = 0; bad == NULL && k < sizeof(p->chain) / sizeof(p->chain[0]); k++)
        if (p->chain[k] && !refers_back(p->chain[k], i, false))
            bad = "its chain must name earlier rows";
    if (bad != NULL)
        return tq_diag_fail(diag, TQ_ERR_INTERNAL, "certs-gen/profiles.c", 0, "profile '%s': %s",
                            p->name, bad);
    return TQ_SUCCESS;
}

/* see certs_internal.h */
tq_status tq__profiles_check(struct tq_diag *diag)
{
    for (size_t i = 0; i < NUM_PROFILES; i++)
        TQ_GUARD(check_row(diag, i));
    return TQ_SUCCESS;
}

/* see certs.h */
bool tq_certs_artifact_known(const char *name)
{
    return tq__profile_find(name) != SIZE_MAX;
}
