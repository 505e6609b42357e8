#!/usr/bin/env bash
# Makes docflow's EXAMPLE PKI with the openssl CLI only (OpenSSL 3.x).
#
# EXAMPLES ONLY: every private key this writes is published in the
# repository. Never use any of these keys or certificates in production.
#
# Re-runnable: wipes the folders it owns (ca/ users/ bad/ rogue/ raw/) and
# writes them anew. Keys are random, so a rerun gives new keys and new
# certificates; the validity dates are fixed, so tests that check chains
# "at 2026-11-25T10:00:00Z" pass for any run. See README.md for the list.
#
# Usage: keys-example/make-pki.sh   (from anywhere)
set -euo pipefail

cd "$(dirname "$0")"
umask 022

# Fixed dates (GeneralizedTime), so the outputs do not depend on the day
# the script runs. Good certificates last until 2045 and later.
ROOT_START=20190101000000Z
ROOT_END=20500101000000Z
INTER_START=20190101000000Z
INTER_END=20490101000000Z
LEAF_START=20250601000000Z
LEAF_END=20450601000000Z
EXPIRED_START=20200101000000Z
EXPIRED_END=20210101000000Z
CRL_LAST=20261101000000Z
CRL_NEXT=20461101000000Z

ORG="Moliya vazirligi (EXAMPLE)"

rm -rf ca users bad rogue raw
mkdir -p ca users bad rogue raw

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# openssl ca config for one CA: its database lives in $WORK/<name>.
# $1 = name, $2 = signing digest ("sha256", or "default" for Ed25519).
make_ca_config() {
    local name=$1 md=$2 dir="$WORK/$1"
    mkdir -p "$dir/newcerts"
    : > "$dir/index.txt"
    echo "unique_subject = no" > "$dir/index.txt.attr"
    echo 1000 > "$dir/crlnumber"
    cat > "$dir/openssl.cnf" <<EOF
[ ca ]
default_ca = this_ca

[ this_ca ]
dir = $dir
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = $md
policy = policy_any
copy_extensions = none
unique_subject = no
email_in_dn = no
string_mask = utf8only
preserve = yes

[ policy_any ]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied

[ req ]
distinguished_name = req_dn
string_mask = utf8only
utf8 = yes
prompt = no

[ req_dn ]
CN = unused

[ v3_root ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ v3_intermediate ]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ v3_sub_ca ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ v3_signing_leaf ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ v3_encipher_leaf ]
basicConstraints = critical, CA:false
keyUsage = critical, keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ crl_ext ]
authorityKeyIdentifier = keyid:always
EOF
}

# Runs a command, showing its chatter only if it fails.
quiet() {
    "$@" 2> "$WORK/log" || { cat "$WORK/log" >&2; return 1; }
}

# A new random positive 128-bit serial for the next certificate of CA $1.
next_serial() {
    printf '%s\n' "$(openssl rand -hex 16 | sed 's/^./7/')" > "$WORK/$1/serial"
}

# Private key $2 of kind $1 (ed25519 | p256 | rsa3072), mode 0600.
make_key() {
    case "$1" in
        ed25519) openssl genpkey -algorithm ed25519 -out "$2" ;;
        p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
                  -pkeyopt ec_param_enc:named_curve -out "$2" ;;
        rsa3072) openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$2" ;;
    esac
    chmod 600 "$2"
}

# A CSR for key $1 with subject $2 (UTF-8, "/C=UZ/O=.../CN=...").
make_csr() {
    openssl req -new -config "$WORK/root/openssl.cnf" -utf8 -key "$1" -subj "$2" \
        -out "$WORK/req.csr"
}

# Issues a certificate from the CSR in $WORK/req.csr.
# $1 = CA name, $2 = CA cert, $3 = CA key, $4 = extensions section,
# $5 = notBefore, $6 = notAfter, $7 = output file.
issue() {
    next_serial "$1"
    quiet openssl ca -batch -notext -utf8 -config "$WORK/$1/openssl.cnf" \
        -cert "$2" -keyfile "$3" -extensions "$4" \
        -startdate "$5" -enddate "$6" -in "$WORK/req.csr" -out "$7"
}

# An Ed25519 user: key, SPKI public key, certificate issued by CA $1.
# $2 = file stem, $3 = CN, $4 = extensions, $5/$6 = dates, $7/$8 = CA cert/key.
make_user() {
    make_key ed25519 "$2.key"
    openssl pkey -in "$2.key" -pubout -out "$2.pub.pem"
    make_csr "$2.key" "/C=UZ/O=$ORG/CN=$3"
    issue "$1" "$7" "$8" "$4" "$5" "$6" "$2.crt"
}

make_ca_config root sha256
make_ca_config intermediate sha256
make_ca_config leafca default
make_ca_config rogue default
make_ca_config subca sha256

# Root CA: RSA 3072, self-signed.
make_key rsa3072 ca/root-ca.key
make_csr ca/root-ca.key "/C=UZ/O=$ORG/CN=docflow Example Root CA"
next_serial root
quiet openssl ca -batch -notext -utf8 -selfsign -config "$WORK/root/openssl.cnf" \
    -keyfile ca/root-ca.key -extensions v3_root \
    -startdate "$ROOT_START" -enddate "$ROOT_END" \
    -in "$WORK/req.csr" -out ca/root-ca.crt

# Intermediate CA: ECDSA P-256, issued by the root, may issue only leaves.
make_key p256 ca/intermediate-ca.key
make_csr ca/intermediate-ca.key "/C=UZ/O=$ORG/CN=docflow Example Issuing CA 1"
issue root ca/root-ca.crt ca/root-ca.key v3_intermediate \
    "$INTER_START" "$INTER_END" ca/intermediate-ca.crt

# What a client sends with its leaf: intermediate first, then the root.
cat ca/intermediate-ca.crt ca/root-ca.crt > ca/chain.pem

IC=(ca/intermediate-ca.crt ca/intermediate-ca.key)

# Good users: Ed25519 signing certificates, names in Uzbek Latin and Cyrillic.
make_user intermediate users/alisher "Alisher Karimov" v3_signing_leaf \
    "$LEAF_START" "$LEAF_END" "${IC[@]}"
make_user intermediate users/dilnoza "Дилноза Юсупова" v3_signing_leaf \
    "$LEAF_START" "$LEAF_END" "${IC[@]}"
make_user intermediate users/rustam "Rustam Oʻrinboyev" v3_signing_leaf \
    "$LEAF_START" "$LEAF_END" "${IC[@]}"

# Expired: valid only during 2020.
make_user intermediate bad/expired "Eski Sertifikat" v3_signing_leaf \
    "$EXPIRED_START" "$EXPIRED_END" "${IC[@]}"

# Revoked: a good certificate, then listed in the intermediate's CRL.
make_user intermediate bad/revoked "Bekor Qilingan" v3_signing_leaf \
    "$LEAF_START" "$LEAF_END" "${IC[@]}"
quiet openssl ca -batch -config "$WORK/intermediate/openssl.cnf" \
    -cert ca/intermediate-ca.crt -keyfile ca/intermediate-ca.key \
    -revoke bad/revoked.crt -crl_reason keyCompromise
quiet openssl ca -batch -gencrl -config "$WORK/intermediate/openssl.cnf" \
    -cert ca/intermediate-ca.crt -keyfile ca/intermediate-ca.key \
    -crlexts crl_ext -crl_lastupdate "$CRL_LAST" -crl_nextupdate "$CRL_NEXT" \
    -out ca/intermediate-ca.crl.pem

# No signing key usage: keyEncipherment only.
make_user intermediate bad/no-signing-usage "Shifrlash Kaliti" v3_encipher_leaf \
    "$LEAF_START" "$LEAF_END" "${IC[@]}"

# Issued by a leaf: signed with alisher's key as if alisher were a CA.
make_user leafca bad/issued-by-leaf "Soxta Imzo" v3_signing_leaf \
    "$LEAF_START" "$LEAF_END" users/alisher.crt users/alisher.key

# Path too long: a CA under the intermediate, whose pathlen:0 forbids it,
# and an Ed25519 leaf under that CA.
make_key p256 bad/sub-ca.key
make_csr bad/sub-ca.key "/C=UZ/O=$ORG/CN=Ruxsatsiz Quyi CA"
issue intermediate "${IC[@]}" v3_sub_ca "$LEAF_START" "$LEAF_END" bad/sub-ca.crt
make_user subca bad/under-sub-ca "Uzun Zanjir" v3_signing_leaf \
    "$LEAF_START" "$LEAF_END" bad/sub-ca.crt bad/sub-ca.key

# Rogue: a separate, untrusted Ed25519 root and its leaf.
make_key ed25519 rogue/rogue-root-ca.key
make_csr rogue/rogue-root-ca.key "/C=UZ/O=Rogue (EXAMPLE)/CN=Rogue Root CA"
next_serial rogue
quiet openssl ca -batch -notext -utf8 -selfsign -config "$WORK/rogue/openssl.cnf" \
    -keyfile rogue/rogue-root-ca.key -extensions v3_root \
    -startdate "$ROOT_START" -enddate "$ROOT_END" \
    -in "$WORK/req.csr" -out rogue/rogue-root-ca.crt
make_key ed25519 rogue/rogue-leaf.key
openssl pkey -in rogue/rogue-leaf.key -pubout -out rogue/rogue-leaf.pub.pem
make_csr rogue/rogue-leaf.key "/C=UZ/O=Rogue (EXAMPLE)/CN=Alisher Karimov"
issue rogue rogue/rogue-root-ca.crt rogue/rogue-root-ca.key v3_signing_leaf \
    "$LEAF_START" "$LEAF_END" rogue/rogue-leaf.crt

# Raw Ed25519 key pairs, no certificates.
for n in 1 2; do
    make_key ed25519 "raw/keypair-$n.pem"
    openssl pkey -in "raw/keypair-$n.pem" -pubout -out "raw/keypair-$n.pub.pem"
done

# Self-check with openssl's own verifier, at 2026-11-25T10:00:00Z (the
# time the Rust tests use): good chains verify, the others fail for the
# intended reason.
AT=1795600800
ANCHOR=(-CAfile ca/root-ca.crt -untrusted ca/intermediate-ca.crt)
for u in alisher dilnoza rustam; do
    openssl verify -attime "$AT" -x509_strict "${ANCHOR[@]}" "users/$u.crt" > /dev/null
done
# $1 = expected message, then openssl verify arguments.
must_fail() {
    local want=$1 out
    shift
    if out=$(openssl verify -attime "$AT" -x509_strict "$@" 2>&1); then
        echo "self-check: $* verified, expected: $want" >&2
        exit 1
    fi
    if [[ $out != *"$want"* ]]; then
        echo "self-check: $* failed with: $out; expected: $want" >&2
        exit 1
    fi
}
must_fail "certificate has expired" "${ANCHOR[@]}" bad/expired.crt
must_fail "certificate revoked" "${ANCHOR[@]}" -crl_check \
    -CRLfile ca/intermediate-ca.crl.pem bad/revoked.crt
must_fail "unable to get local issuer" -CAfile ca/root-ca.crt rogue/rogue-leaf.crt
must_fail "path length constraint exceeded" "${ANCHOR[@]}" -untrusted bad/sub-ca.crt \
    bad/under-sub-ca.crt
must_fail "invalid CA certificate" "${ANCHOR[@]}" -untrusted users/alisher.crt \
    bad/issued-by-leaf.crt

echo "example PKI written to $(pwd)"
