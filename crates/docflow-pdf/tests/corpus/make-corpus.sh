#!/usr/bin/env bash
# Regenerates the PDF corpus the docflow-pdf tests stamp and check.
# Needs: python3 with reportlab and pyhanko (pip), ghostscript, qpdf, openssl,
# LibreOffice (soffice) and Chromium (Debian: libreoffice-writer-nogui, chromium).
# Run from anywhere; writes next to this script. The outputs are committed, so
# tests do not depend on these tools' exact versions.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. reportlab: classic xref table, a portrait, a landscape and a /Rotate 90 page.
python3 - <<'PY'
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen import canvas
c = canvas.Canvas("reportlab.pdf", pagesize=A4, invariant=1)
c.setTitle("docflow corpus: reportlab")
c.drawString(72, 760, "Reportlab page 1: portrait A4")
c.showPage()
c.setPageSize(landscape(A4))
c.drawString(72, 500, "Reportlab page 2: landscape")
c.showPage()
c.setPageSize(A4)
c.setPageRotation(90)
c.drawString(72, 760, "Reportlab page 3: /Rotate 90")
c.showPage()
c.save()
PY

# 2. ghostscript pdfwrite (PDF 1.7: xref stream and object streams in gs >= 10).
cat > "$work/in.ps" <<'PS'
%!PS
/Helvetica findfont 18 scalefont setfont
72 720 moveto (Ghostscript page 1) show showpage
72 720 moveto (Ghostscript page 2) show showpage
PS
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite -dCompatibilityLevel=1.7 \
   -sOutputFile=ghostscript.pdf "$work/in.ps"

# 2b. Chromium (Skia/PDF) and LibreOffice (a tagged PDF with a structure
# tree and indirect stream lengths), from the same HTML letter.
cat > "$work/letter.html" <<'HTML'
<!doctype html><html lang="uz"><head><meta charset="utf-8"><title>docflow corpus</title>
<style>body{font-family:"DejaVu Sans";margin:2cm} h1{font-size:18pt}</style></head>
<body><h1>Хат № 42 / Xat № 42</h1>
<p>Ўзбекистон Республикаси Молия вазирлиги. Oʻzbekiston Respublikasi Moliya vazirligi. Министерство финансов Республики Узбекистан.</p>
<p style="page-break-before:always">Иккинчи саҳифа / Ikkinchi sahifa / Вторая страница / Second page.</p>
<p><a href="https://example.uz/">example.uz</a></p>
</body></html>
HTML
chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
   --print-to-pdf="$PWD/chromium.pdf" "$work/letter.html"
soffice --headless --convert-to \
   'pdf:writer_pdf_Export:{"UseTaggedPDF":{"type":"boolean","value":"true"}}' \
   --outdir "$work" "$work/letter.html"
cp "$work/letter.pdf" libreoffice.pdf

# 3. qpdf transformations of the reportlab file.
qpdf --deterministic-id --object-streams=generate reportlab.pdf qpdf-objstm.pdf
qpdf --deterministic-id --linearize reportlab.pdf qpdf-linearized.pdf
qpdf --deterministic-id --qdf reportlab.pdf qpdf-qdf.pdf
qpdf --deterministic-id --force-version=2.0 --object-streams=generate ghostscript.pdf pdf20.pdf
# Encrypted (AES-256, empty user password): stamping must refuse it.
qpdf --deterministic-id --encrypt "" owner 256 -- reportlab.pdf encrypted.pdf 2>/dev/null || \
  qpdf --allow-weak-crypto --encrypt "" owner 256 -- reportlab.pdf encrypted.pdf

# 4. An already incrementally updated file: a plain update that adds /Info.
python3 - <<'PY'
import re
data = open("reportlab.pdf", "rb").read()
startxref = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
trailer = data[data.rindex(b"trailer"):]
size = int(re.search(rb"/Size (\d+)", trailer).group(1))
root = re.search(rb"/Root (\d+ \d+ R)", trailer).group(1)
out = bytearray(data)
if not out.endswith(b"\n"):
    out += b"\n"
off = len(out)
out += b"%d 0 obj\n<< /Title (Incrementally updated) /Producer (make-corpus.sh) >>\nendobj\n" % size
xref = len(out)
out += b"xref\n%d 1\n%010d 00000 n\r\n" % (size, off)
out += b"trailer\n<< /Size %d /Root %s /Info %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
    size + 1, root, size, startxref, xref)
open("incremental.pdf", "wb").write(bytes(out))
PY

# 5. Signed by pyHanko with a throw-away self-signed certificate (an incremental
#    update too); stamping must keep the signature valid.
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=docflow corpus signer" \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
python3 - "$work/key.pem" "$work/cert.pem" <<'PY'
import sys
from pyhanko.sign import signers
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
signer = signers.SimpleSigner.load(sys.argv[1], sys.argv[2])
with open("reportlab.pdf", "rb") as f:
    w = IncrementalPdfFileWriter(f)
    out = signers.sign_pdf(w, signers.PdfSignatureMetadata(field_name="Signature1"), signer=signer)
    open("signed.pdf", "wb").write(out.getvalue())
PY
ls -l *.pdf
