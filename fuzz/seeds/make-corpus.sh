#!/usr/bin/env bash
# Lays out the initial seed corpus of every fuzz target under fuzz/corpus/
# from the genuine seeds (fuzz/seeds, made by make-seeds.sh), the
# docflow-pdf test corpus, docs/vectors and keys-example. Wipes and rewrites
# fuzz/corpus/. Needs qpdf, python3, jq and openssl.
#
# Later-revision seeds (an update after the stamp, appended with
# append-update.py on the walkthrough's stamped PDF):
#   later-widget.pdf      an invisible signature widget on page 1: VALID
#   later-openaction.pdf  a JavaScript /OpenAction in the catalogue: INVALID
#   later-contents.pdf    a second content stream on page 1: INVALID
#   later-signature.pdf   a PDF signature: a hidden widget, its /Sig value and
#                         the catalogue's /AcroForm: INVALID today (docs/fuzzing.md)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
seeds="$repo/fuzz/seeds"
corpus="$repo/fuzz/corpus"
pdf_corpus="$repo/crates/docflow-pdf/tests/corpus"
for tool in qpdf python3 jq openssl; do
    command -v "$tool" >/dev/null || { echo "make-corpus: needs $tool" >&2; exit 1; }
done

rm -rf "$corpus"
for t in pdf_attachment pdf_revisions evidence_parse verify_stamped statement checkpoint receipt certificate; do
    mkdir -p "$corpus/$t"
done

# Later revisions on the walkthrough's stamped PDF.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stamped="$seeds/stamped-walkthrough.pdf"
size=$(qpdf --show-object=trailer "$stamped" | sed -n 's/.*\/Size \([0-9]*\).*/\1/p')
root=$(qpdf --show-object=trailer "$stamped" | sed -n 's/.*\/Root \([0-9]*\) 0 R.*/\1/p')
page_id=$(qpdf --json --json-key=pages "$stamped" | jq -r '.pages[0].object' | cut -d' ' -f1)
page_dict=$(qpdf --show-object="$page_id" "$stamped")
catalog=$(qpdf --show-object="$root" "$stamped")
n=$size
"$seeds/append-update.py" "$stamped" "$tmp/later-widget.pdf" \
    "$n 0 << /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /Rect [ 0 0 0 0 ] /F 132 /P $page_id 0 R >>" \
    "$page_id 0 $(sed "s#/Annots \[ \(.*\) \] /Contents#/Annots [ \1 $n 0 R ] /Contents#" <<<"$page_dict")"
"$seeds/append-update.py" "$stamped" "$tmp/later-openaction.pdf" \
    "$root 0 $(sed 's#/Type /Catalog >>$#/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >>#' <<<"$catalog")"
"$seeds/append-update.py" "$stamped" "$tmp/later-contents.pdf" \
    "$n 0 << /Length 42 >>
stream
BT /F1 24 Tf 72 400 Td (not signed) Tj ET
endstream" \
    "$page_id 0 $(sed "s#/Contents \([0-9]*\) 0 R#/Contents [ \1 0 R $n 0 R ]#" <<<"$page_dict")"
"$seeds/append-update.py" "$stamped" "$tmp/later-signature.pdf" \
    "$n 0 << /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /Rect [ 0 0 0 0 ] /F 132 /P $page_id 0 R /V $((n + 1)) 0 R >>" \
    "$((n + 1)) 0 << /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange [ 0 0 0 0 ] /Contents <00> >>" \
    "$page_id 0 $(sed "s#/Annots \[ \(.*\) \] /Contents#/Annots [ \1 $n 0 R ] /Contents#" <<<"$page_dict")" \
    "$root 0 $(sed "s#/AF \(\[ [^]]* \]\) #/AF \1 /AcroForm << /Fields [ $n 0 R ] /SigFlags 3 >> #" <<<"$catalog")"

# PDF readers: the third-party corpus, a real stamped PDF, later revisions.
cp "$pdf_corpus"/*.pdf "$corpus/pdf_attachment/"
cp "$stamped" "$corpus/pdf_attachment/"
cp "$pdf_corpus"/*.pdf "$corpus/pdf_revisions/"
cp "$stamped" "$tmp/later-widget.pdf" "$tmp/later-contents.pdf" "$corpus/pdf_revisions/"

# The whole verifier: both stamped PDFs, the later revisions, and the
# bundles (the target also reads its input as a detached bundle).
cp "$seeds"/stamped-*.pdf "$tmp"/later-*.pdf "$seeds"/evidence-*.json "$corpus/verify_stamped/"
cp "$seeds"/evidence-*.json "$corpus/evidence_parse/"

# Receipts, statements and checkpoints: from the bundles and docs/vectors.
python3 - "$seeds" "$corpus" <<'PY'
import base64, json, sys
seeds, corpus = sys.argv[1:]
kinds_seen = {}
for name in ("evidence-walkthrough.json", "evidence-worked-example.json"):
    bundle = json.load(open(f"{seeds}/{name}"))
    short = name.removeprefix("evidence-").removesuffix(".json")
    for list_name in ("entries", "context"):
        for i, receipt in enumerate(bundle[list_name]):
            entry = base64.b64decode(receipt.split("\n")[1].removeprefix("extra ")).decode()
            kind = next(l[6:] for l in entry.split("\n") if l.startswith("kind: "))
            # One receipt of each kind per bundle keeps the corpus small.
            if (short, kind) not in kinds_seen:
                kinds_seen[(short, kind)] = True
                open(f"{corpus}/receipt/{short}-{kind}.tlog-proof", "w").write(receipt)
            data = json.loads(entry.split("\ndata: ", 1)[1])
            if isinstance(data, dict) and isinstance(data.get("statement"), str):
                purpose = data.get("purpose", "statement")
                open(f"{corpus}/statement/{short}-{i}-{purpose}.txt", "w").write(data["statement"])
        if list_name == "entries":
            note = bundle[list_name][-1].split("\n\n", 1)[1]
            open(f"{corpus}/checkpoint/{short}-checkpoint.note", "w").write(note)
            open(f"{corpus}/checkpoint/{short}-checkpoint.txt", "w").write(note.split("\n\n")[0] + "\n")
    open(f"{corpus}/checkpoint/{short}-qr.note", "w").write(bundle["stamp"]["qr"])
PY
v="$repo/docs/vectors"
cp "$v"/statement-1.txt "$v"/statement-2.txt "$corpus/statement/"
cp "$v"/receipt-entry-1.tlog-proof "$corpus/receipt/"
cp "$v"/checkpoint-body.txt "$v"/checkpoint-note.txt "$v"/qr-record-1.note "$corpus/checkpoint/"
cp "$v"/checkpoint-key.vkey "$corpus/checkpoint/test-log.vkey"
cp "$seeds/log.pub" "$corpus/checkpoint/seed-log.vkey"

# Certificates, as DER (validate_chain takes DER): every example one.
for crt in "$repo"/keys-example/*/*.crt; do
    dir=$(basename "$(dirname "$crt")")
    openssl x509 -in "$crt" -outform DER -out "$corpus/certificate/$dir-$(basename "$crt" .crt).der"
done
cp "$repo/keys-example/users/alisher.crt" "$corpus/certificate/users-alisher.pem"

du -sh "$corpus"
for t in "$corpus"/*; do echo "$(basename "$t"): $(ls "$t" | wc -l) files, $(du -sk "$t" | cut -f1) KiB"; done
