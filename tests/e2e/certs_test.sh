#!/usr/bin/env bash
# certs_test.sh: runs `tlsqual certs` and checks every artifact with an independent tool,
# openssl(1): the verdict of `openssl verify` for every certificate and chain (both trust paths
# of the cross-signed ATS chain, CRLs, host names, purposes), and what `openssl x509 -text`
# shows (algorithms, key sizes, extensions). Needs TQ_BUILD_DIR; uses jq to read the manifest.
# Checks that hold are counted quietly (`pass` without a name: there are thousands); a failed
# one prints its line. `COND && pass || fail MSG` is an if-then-else here, because pass cannot
# fail.
# shellcheck disable=SC2015
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init certs
command -v jq >/dev/null || die "certs_test.sh: jq is required"
command -v openssl >/dev/null || die "certs_test.sh: openssl is required"

tlsqual="$bin"
pki="$tmp/pki"
ats="d000000000000000-ats.iot.us-east-1.amazonaws.test"
legacy="d000000000000000.iot.us-east-1.amazonaws.test"

# field NAME KEY prints member KEY of artifact NAME in the manifest.
field() {
    jq -r --arg n "$1" --arg k "$2" '.artifacts[] | select(.name == $n) | .[$k] // ""' \
        "$pki/manifest.json"
}

# expect_verify WANT NAME [openssl verify options...]: WANT is OK or an X509_V_ERR number.
# NAME's certificate (its manifest "cert") is verified from inside the PKI folder.
expect_verify() {
    local want="$1" name="$2"
    shift 2
    local cert out
    cert="$(field "$name" cert)"
    out="$(cd "$pki" && openssl verify "$@" "$cert" 2>&1)" || true
    if [[ "$want" == OK && "$out" == *"$cert: OK"* ]]; then
        pass
    elif [[ "$want" != OK && "$out" == *"error $want at"* ]]; then
        pass
    else
        out="$(printf '%s' "$out" | grep -v '^[0-9A-F]*:error' | tr '\n' ' ')"
        fail "verify $name ($*): want $want, got: $out"
    fi
}

# expect_text NAME PATTERN...: every fixed string shows in `openssl x509 -text` of NAME.
expect_text() {
    local name="$1" text pattern
    shift
    text="$(openssl x509 -in "$pki/$(field "$name" cert)" -noout -text)"
    for pattern in "$@"; do
        if [[ "$text" == *"$pattern"* ]]; then pass; else fail "$name: no '$pattern' in -text"; fi
    done
}

# expect_no_text NAME PATTERN: PATTERN does not show in NAME's -text.
expect_no_text() {
    local text
    text="$(openssl x509 -in "$pki/$(field "$1" cert)" -noout -text)"
    if [[ "$text" != *"$2"* ]]; then pass; else fail "$1: unexpected '$2' in -text"; fi
}

expect_exit() {
    local want="$1" got=0
    shift
    "$tlsqual" certs "$@" >/dev/null 2>&1 || got=$?
    if [[ "$got" == "$want" ]]; then pass; else fail "tlsqual certs $*: exit $got, want $want"; fi
}

pubkey_of_cert() { openssl x509 -in "$1" -noout -pubkey; }
pubkey_of_key() { openssl pkey -in "$1" -pubout; }
der_sha256() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }

# --- the command line ------------------------------------------------------------------------
expect_exit 0 --help
expect_exit 2
expect_exit 2 --out
expect_exit 2 --out "$pki" --bogus
"$tlsqual" certs --out "$pki" || die "tlsqual certs: the cold run failed"

start="$(date +%s%N)"
warm="$("$tlsqual" certs --out "$pki")"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [[ "$warm" == *"0 files written"* ]]; then pass; else fail "warm run wrote files: $warm"; fi
# Speed is measured by bench/certs_bench.sh, never asserted here: a loaded CI machine is slow.
echo "note: warm run took ${elapsed_ms} ms (a figure, not a check)"

# --- every artifact: files, hashes, subjects, keys, algorithms as openssl reads them -------------
key_text() {     # the -text lines that show a manifest key_type
    case "$1" in
        RSA-*) printf 'rsaEncryption\nPublic-Key: (%s bit)\n' "${1#RSA-}" ;;
        DSA-*) printf 'dsaEncryption\nPublic-Key: (%s bit)\n' "${1#DSA-}" ;;
        EC-P*) printf 'id-ecPublicKey\nNIST CURVE: P-%s\n' "${1#EC-P}" ;;
    esac
}

mapfile -t names < <(jq -r '.artifacts[].name' "$pki/manifest.json")
(( ${#names[@]} >= 60 )) && pass || fail "only ${#names[@]} artifacts"
for name in "${names[@]}"; do
    cert="$pki/$(field "$name" cert)"
    key="$pki/$(field "$name" key)"
    [[ "$(der_sha256 "$cert")" == "$(field "$name" sha256)" ]] && pass || fail "$name: sha256"
    subject="$(openssl x509 -in "$cert" -noout -subject -nameopt RFC2253)"
    [[ "$subject" == "subject=$(field "$name" subject)" ]] && pass || fail "$name: $subject"
    [[ "$(stat -c %a "$key")" == 600 ]] && pass || fail "$name: key mode"
    if [[ "$name" == device-wrong-key ]]; then
        [[ "$(pubkey_of_cert "$cert")" != "$(pubkey_of_key "$key")" ]] && pass ||
            fail "$name: the key must not match"
    else
        [[ "$(pubkey_of_cert "$cert")" == "$(pubkey_of_key "$key")" ]] && pass ||
            fail "$name: the key does not match"
    fi
    mapfile -t want < <(key_text "$(field "$name" key_type)")
    expect_text "$name" "${want[@]}" "Signature Algorithm: $(field "$name" signature)"
    chain="$(field "$name" chain)"
    if [[ -n "$chain" ]]; then
        [[ "$(der_sha256 "$pki/$chain")" == "$(field "$name" sha256)" ]] && pass ||
            fail "$name: the chain does not start with the certificate"
    fi
    crl="$(field "$name" crl)"
    if [[ -n "$crl" ]]; then
        out="$(openssl crl -in "$pki/$crl" -CAfile "$cert" -noout 2>&1)" || true
        [[ "$out" == *"verify OK"* ]] && pass || fail "$name: CRL: $out"
    fi
done

# --- the issue's algorithms and key sizes, against openssl's reading (not the manifest) --------
while read -r name key_type signature; do
    mapfile -t want < <(key_text "$key_type")
    expect_text "$name" "${want[@]}" "Signature Algorithm: $signature"
done <<'EOF'
ats-root-ca-1 RSA-2048 sha256WithRSAEncryption
ats-root-ca-2 RSA-4096 sha384WithRSAEncryption
ats-root-ca-3 EC-P256 ecdsa-with-SHA256
ats-root-ca-4 EC-P384 ecdsa-with-SHA384
sfs-root-ca-g2 RSA-2048 sha256WithRSAEncryption
legacy-root-ca-g5 RSA-2048 sha1WithRSAEncryption
ats-server-rsa RSA-2048 sha256WithRSAEncryption
ats-server-ecdsa EC-P256 ecdsa-with-SHA256
device-rsa-2048 RSA-2048 sha256WithRSAEncryption
device-rsa-2048-sha384 RSA-2048 sha384WithRSAEncryption
device-rsa-2048-sha512 RSA-2048 sha512WithRSAEncryption
device-rsa-2048-pss RSA-2048 rsassaPss
device-rsa-4096 RSA-4096 sha256WithRSAEncryption
device-dsa-2048-sha256 DSA-2048 dsa_with_SHA256
device-ecdsa-p256-sha256 EC-P256 ecdsa-with-SHA256
device-ecdsa-p384-sha384 EC-P384 ecdsa-with-SHA384
device-ecdsa-p521-sha512 EC-P521 ecdsa-with-SHA512
device-rsa-1024 RSA-1024 sha256WithRSAEncryption
device-sha1 RSA-2048 sha1WithRSAEncryption
ats-server-ca-rsa-sha1 RSA-2048 sha1WithRSAEncryption
server-rsa-1024 RSA-1024 sha256WithRSAEncryption
server-sha1 RSA-2048 sha1WithRSAEncryption
EOF

# --- extensions ---------------------------------------------------------------------------------
expect_text ats-root-ca-1 "CA:TRUE" "Certificate Sign, CRL Sign"
expect_text ats-server-ca-rsa "CA:TRUE, pathlen:0"
expect_text ats-server-rsa "TLS Web Server Authentication" "CA:FALSE" \
    "DNS:*.iot.us-east-1.amazonaws.test" "DNS:iot.us-east-1.amazonaws.test" "DNS:$ats"
expect_text ats-server-ecdsa "TLS Web Server Authentication" "DNS:$ats"
expect_text legacy-server-rsa "TLS Web Server Authentication" "DNS:$legacy"
expect_text device-rsa-2048 "TLS Web Client Authentication"
expect_no_text device-rsa-2048 "TLS Web Server Authentication"
expect_no_text server-no-server-auth "TLS Web Server Authentication"
expect_text device-rsa-2048-pss "Mask Algorithm: mgf1 with sha256"

# about one year of validity for the server leaves
for name in ats-server-rsa ats-server-ecdsa legacy-server-rsa; do
    cert="$pki/$(field "$name" cert)"
    from="$(date -d "$(openssl x509 -in "$cert" -noout -startdate | cut -d= -f2)" +%s)"
    until="$(date -d "$(openssl x509 -in "$cert" -noout -enddate | cut -d= -f2)" +%s)"
    days=$(( (until - from) / 86400 ))
    (( days >= 360 && days <= 370 )) && pass || fail "$name: $days days of validity"
done

# a cross-signed root has the subject and key of the self-signed one, and G2 as issuer
for n in 1 2 3 4; do
    self="$pki/ats-root-ca-$n.pem"
    cross="$pki/ats-root-ca-$n-cross.pem"
    subject="$(openssl x509 -in "$self" -noout -subject)"
    [[ "$(openssl x509 -in "$cross" -noout -subject)" == "$subject" ]] &&
        pass || fail "ats-root-ca-$n-cross: subject"
    [[ "$(pubkey_of_cert "$self")" == "$(pubkey_of_cert "$cross")" ]] && pass ||
        fail "ats-root-ca-$n-cross: key"
    [[ "$(openssl x509 -in "$cross" -noout -issuer)" == *"Starfield Services Root"*"G2"* ]] &&
        pass || fail "ats-root-ca-$n-cross: issuer"
done

# server-large is about 20% larger than the usual leaf
usual="$(openssl x509 -in "$pki/ats-server-rsa.pem" -outform DER | wc -c)"
large="$(openssl x509 -in "$pki/server-large.pem" -outform DER | wc -c)"
(( large * 100 >= usual * 115 && large * 100 <= usual * 135 )) && pass ||
    fail "server-large is $large bytes against $usual"

# the chain files hold what a broker sends
count_certs() { grep -c 'BEGIN CERTIFICATE' "$pki/$(field "$1" chain)"; }
for pair in ats-server-rsa:2 ats-server-rsa-cross:3 ats-server-rsa-cross-g2:4 \
    ats-server-ecdsa:2 ats-server-ecdsa-cross:3 ats-server-ecdsa-cross-g2:4 \
    server-incomplete-chain:1 legacy-server-rsa:2 device-rsa-2048:1; do
    [[ "$(count_certs "${pair%%:*}")" == "${pair##*:}" ]] && pass ||
        fail "${pair%%:*}: chain of $(count_certs "${pair%%:*}"), want ${pair##*:}"
done

# --- openssl verify: every root and cross-sign ---------------------------------------------------
for name in sf-class2-ca sfs-root-ca-g2 ats-root-ca-1 ats-root-ca-2 ats-root-ca-3 ats-root-ca-4 \
    legacy-root-ca-g5 unknown-root-ca device-ca device-ca-ecdsa device-ca-dsa unregistered-ca; do
    expect_verify OK "$name" -CAfile "$name.pem"
done
for n in 1 2 3 4; do
    expect_verify OK "ats-root-ca-$n-cross" -CAfile sfs-root-ca-g2.pem
done
expect_verify OK sfs-root-ca-g2-cross -CAfile sf-class2-ca.pem
expect_verify OK ats-server-ca-rsa -CAfile ats-root-ca-1.pem
expect_verify OK ats-server-ca-ecdsa -CAfile ats-root-ca-3.pem
expect_verify OK legacy-server-ca-g4 -CAfile legacy-root-ca-g5.pem
expect_verify OK unknown-server-ca -CAfile unknown-root-ca.pem

# --- the ATS chains: the three trust paths of the cross-signed chain ----------------------------
for kind in rsa:1 ecdsa:3; do
    leaf="ats-server-${kind%%:*}"
    root="ats-root-ca-${kind##*:}.pem"
    expect_verify OK "$leaf" -CAfile "$root" -untrusted "$leaf.chain.pem" \
        -purpose sslserver -verify_hostname "$ats"
    expect_verify OK "$leaf-cross" -CAfile sfs-root-ca-g2.pem -untrusted "$leaf-cross.chain.pem" \
        -purpose sslserver -verify_hostname "$ats"
    expect_verify OK "$leaf-cross-g2" -CAfile sf-class2-ca.pem \
        -untrusted "$leaf-cross-g2.chain.pem" -purpose sslserver -verify_hostname "$ats"
    # A device that trusts only the Starfield roots needs the cross-signed certificates.
    expect_verify 20 "$leaf" -CAfile sf-class2-ca.pem -untrusted "$leaf.chain.pem"
    expect_verify 20 "$leaf-cross" -CAfile sf-class2-ca.pem -untrusted "$leaf-cross.chain.pem"
done
expect_verify OK legacy-server-rsa -CAfile legacy-root-ca-g5.pem \
    -untrusted legacy-server-rsa.chain.pem -purpose sslserver -verify_hostname "$legacy"
expect_verify 20 legacy-server-rsa -CAfile ats-root-ca-1.pem -untrusted legacy-server-rsa.chain.pem

# --- the bad server side -------------------------------------------------------------------------
ats_trust=(-CAfile ats-root-ca-1.pem -untrusted ats-server-ca-rsa.pem)
expect_verify OK ats-server-rsa "${ats_trust[@]}" -crl_check -CRLfile ats-server-ca-rsa.crl.pem
expect_verify 10 server-expired "${ats_trust[@]}"
expect_verify 9 server-not-yet-valid "${ats_trust[@]}"
expect_verify 62 server-wrong-host "${ats_trust[@]}" -verify_hostname "$ats"
expect_verify 18 server-self-signed "${ats_trust[@]}"
unknown_chain=(-untrusted server-unknown-root.chain.pem)
expect_verify 20 server-unknown-root -CAfile ats-root-ca-1.pem "${unknown_chain[@]}"
expect_verify OK server-unknown-root -CAfile unknown-root-ca.pem "${unknown_chain[@]}"
expect_verify 20 server-incomplete-chain -CAfile ats-root-ca-1.pem \
    -untrusted server-incomplete-chain.chain.pem
expect_verify OK server-sha1-intermediate -CAfile ats-root-ca-1.pem \
    -untrusted server-sha1-intermediate.chain.pem
expect_verify 68 server-sha1-intermediate -CAfile ats-root-ca-1.pem \
    -untrusted server-sha1-intermediate.chain.pem -auth_level 2
expect_verify 23 server-revoked "${ats_trust[@]}" -crl_check -CRLfile ats-server-ca-rsa.crl.pem
expect_verify OK server-large "${ats_trust[@]}" -purpose sslserver -verify_hostname "$ats"
expect_verify OK server-no-server-auth "${ats_trust[@]}"
expect_verify 26 server-no-server-auth "${ats_trust[@]}" -purpose sslserver
expect_verify OK server-rsa-1024 "${ats_trust[@]}" -purpose sslserver -verify_hostname "$ats"
expect_verify 66 server-rsa-1024 "${ats_trust[@]}" -auth_level 2
expect_verify OK server-sha1 "${ats_trust[@]}" -purpose sslserver -verify_hostname "$ats"
expect_verify 68 server-sha1 "${ats_trust[@]}" -auth_level 2

# --- the device side -----------------------------------------------------------------------------
good_devices=(device-rsa-2048 device-rsa-2048-sha384 device-rsa-2048-sha512 device-rsa-2048-pss
    device-rsa-4096 device-inactive device-revoked device-pending-transfer
    device-pending-activation device-register-inactive device-unregistered device-shared
    device-wrong-key device-rsa-1024 device-sha1)
for name in "${good_devices[@]}"; do
    expect_verify OK "$name" -CAfile device-ca.pem -purpose sslclient
done
for name in device-ecdsa-p256-sha256 device-ecdsa-p384-sha384 device-ecdsa-p521-sha512; do
    expect_verify OK "$name" -CAfile device-ca-ecdsa.pem -purpose sslclient
done
expect_verify OK device-dsa-2048-sha256 -CAfile device-ca-dsa.pem -purpose sslclient
for name in device-unregistered-ca device-sni-only; do
    expect_verify OK "$name" -CAfile unregistered-ca.pem
    expect_verify 20 "$name" -CAfile device-ca.pem
done
crl=(-CAfile device-ca.pem -crl_check -CRLfile device-ca.crl.pem)
expect_verify OK device-rsa-2048 "${crl[@]}"
expect_verify 23 device-revoked "${crl[@]}"
expect_verify 10 device-expired -CAfile device-ca.pem
expect_verify 9 device-not-yet-valid -CAfile device-ca.pem
expect_verify 7 device-malformed -CAfile device-ca.pem
expect_verify 66 device-rsa-1024 -CAfile device-ca.pem -auth_level 2
expect_verify 68 device-sha1 -CAfile device-ca.pem -auth_level 2
expect_verify 26 device-rsa-2048 -CAfile device-ca.pem -purpose sslserver

# --- registry.json ---------------------------------------------------------------------------
reg="$pki/registry.json"
[[ "$(jq -r .format "$reg")" == tlsqual-registry/1 ]] && pass || fail "registry format"
while read -r name status; do
    got="$(jq -r --arg n "$name" \
        '[.certificates[] | select(.name == $n) | .status][0] // "ABSENT"' "$reg")"
    [[ "$got" == "$status" ]] && pass || fail "registry $name: $got, want $status"
done <<'EOF'
device-rsa-2048 ACTIVE
device-ecdsa-p256-sha256 ACTIVE
device-dsa-2048-sha256 ACTIVE
device-inactive INACTIVE
device-revoked REVOKED
device-pending-transfer PENDING_TRANSFER
device-pending-activation PENDING_ACTIVATION
device-register-inactive REGISTER_INACTIVE
device-unregistered ABSENT
device-unregistered-ca ABSENT
EOF
while read -r id name; do
    [[ "$id" == "$(der_sha256 "$pki/$name.pem")" ]] && pass || fail "registry id of $name"
done < <(jq -r '(.cas + .certificates)[] | "\(.id) \(.name)"' "$reg")
[[ "$(jq -r '[.cas[].name] | index("unregistered-ca")' "$reg")" == null ]] && pass ||
    fail "unregistered-ca is in the registry"

finish
