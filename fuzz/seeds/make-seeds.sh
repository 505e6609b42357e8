#!/usr/bin/env bash
# Makes the genuine seed files with the real server, on fresh data
# directories in a temporary folder: the README walkthrough (one raw-key
# signature) and docs/worked-example.md verbatim plus an X.509 signer
# (route, registration, resolution, reports, a certificate and chain),
# both on one log key. Writes into fuzz/seeds/:
#
#   log.pub                       the log's verifier key (GET /api/v1/ledger/key)
#   stamped-walkthrough.pdf       GET …/versions/1/stamped.pdf
#   evidence-walkthrough.json     GET …/versions/1/evidence
#   stamped-worked-example.pdf
#   evidence-worked-example.json
#   order-v1.pdf                  docs/examples/order-v1.pdf, the signed original
#
# Usage: fuzz/seeds/make-seeds.sh [path/to/docflow]   (default target/release/docflow)
# Then fuzz/seeds/make-corpus.sh lays the corpus out again. New seeds have
# new ids, keys and times: commit seeds and corpus together.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
seeds="$repo/fuzz/seeds"
bin=${1:-"$repo/target/release/docflow"}
[ -x "$bin" ] || { echo "make-seeds: no docflow binary at $bin (cargo build --release)" >&2; exit 1; }
for tool in curl jq python3; do
    command -v "$tool" >/dev/null || { echo "make-seeds: needs $tool" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/bin"
cp "$bin" "$work/bin/docflow"
export PATH="$work/bin:$PATH"
# The X.509 signer's chain is checked against the example root when it is
# registered; the verifier seeds do not depend on it.
export DOCFLOW_TRUST_ANCHORS="$repo/keys-example/ca/root-ca.crt"
log_key="$work/log.key"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start DIR: a server on a fresh data dir DIR with the shared log key.
start() {
    local dir=$1 port
    port=$(free_port)
    mkdir -p "$dir"
    export DOCFLOW_DATA_DIR="$dir/data"
    API="http://127.0.0.1:$port"
    export API
    if [ -f "$log_key" ]; then export DOCFLOW_LOG_KEY="$log_key"; else unset DOCFLOW_LOG_KEY; fi
    docflow serve --bind "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do
        curl -sf "$API/healthz" >/dev/null && return 0
        sleep 0.1
    done
    echo "make-seeds: the server did not start; $dir/serve.log:" >&2
    cat "$dir/serve.log" >&2
    exit 1
}

stop() {
    kill "${pids[-1]}" 2>/dev/null || true
    wait "${pids[-1]}" 2>/dev/null || true
    unset 'pids[-1]'
}

# 1. The README walkthrough, up to the stamped PDF.
start "$work/walkthrough"
cd "$work/walkthrough"
docflow admin org add --code MINFIN --name "Молия вазирлиги"
docflow admin user add --org MINFIN --login a.karimov --name "Алишер Каримов" \
    --position "Бош мутахассис" --role registrar
TOKEN=$(docflow admin token issue --login a.karimov)
DOC=$(curl -sf -H "Authorization: Bearer $TOKEN" \
    -F 'meta={"title":"Буйруқ № 1","kind":"order"};type=application/json' \
    -F file=@"$repo/docs/examples/order-v1.pdf" \
    "$API/api/v1/documents" | jq -r .id)
docflow keygen --out karimov
docflow admin key add --login a.karimov --public-key karimov.pub.pem
KEYTOKEN=$(docflow client --server "$API" login --login a.karimov --key karimov.pem)
docflow client --server "$API" --token "$KEYTOKEN" --json sign \
    --document "$DOC" --version 1 --key karimov.pem >signed.json
curl -sf "$API/api/v1/ledger/key" >"$seeds/log.pub"
curl -sf -H "Authorization: Bearer $TOKEN" -o "$seeds/stamped-walkthrough.pdf" \
    "$API/api/v1/documents/$DOC/versions/1/stamped.pdf"
curl -sf -H "Authorization: Bearer $TOKEN" -o "$seeds/evidence-walkthrough.json" \
    "$API/api/v1/documents/$DOC/versions/1/evidence"
cp "$DOCFLOW_DATA_DIR/log.key" "$log_key"
stop

# 2. The worked example verbatim, then an X.509 signer, on the same log key.
start "$work/worked"
cd "$work/worked"
ln -s "$repo/docs" docs
sed -n '/<!-- example:start -->/,/<!-- example:end -->/p' "$repo/docs/worked-example.md" |
    sed '1,2d;$d' | sed '$d' >example.sh
echo 'echo "$DOC" > doc.id; echo "$REG" > reg.token' >>example.sh
bash -euo pipefail example.sh >example.out
DOC=$(cat doc.id)
REG=$(cat reg.token)
docflow admin user add --org MINFIN --login alisher --name "Alisher Karimov" \
    --position "Bosh mutaxassis" --role approver
docflow admin key add --login alisher --certificate "$repo/keys-example/users/alisher.crt" \
    --chain "$repo/keys-example/ca/chain.pem"
install -m 600 "$repo/keys-example/users/alisher.key" alisher.pem
AT=$(docflow client --server "$API" login --login alisher --key alisher.pem)
docflow client --server "$API" --token "$AT" --json sign \
    --document "$DOC" --version 1 --key alisher.pem >signed-x509.json
curl -sf "$API/api/v1/ledger/key" | cmp - "$seeds/log.pub"
curl -sf -H "Authorization: Bearer $REG" -o "$seeds/stamped-worked-example.pdf" \
    "$API/api/v1/documents/$DOC/versions/1/stamped.pdf"
curl -sf -H "Authorization: Bearer $REG" -o "$seeds/evidence-worked-example.json" \
    "$API/api/v1/documents/$DOC/versions/1/evidence"
stop

cp "$repo/docs/examples/order-v1.pdf" "$seeds/order-v1.pdf"
cd "$seeds"
echo "make-seeds: log key $(cat log.pub)"
for f in stamped-walkthrough.pdf stamped-worked-example.pdf; do
    "$work/bin/docflow" verify "$f" --log-key log.pub --trust-anchors "$repo/keys-example/ca/root-ca.crt" | head -1
done
