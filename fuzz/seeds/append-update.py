#!/usr/bin/env python3
"""Appends one raw incremental update (classic xref table) to a PDF, the
way a third party might: the later-revision seeds of the fuzz corpus.

    append-update.py IN.pdf OUT.pdf 'N G <<body>>' ['N G <<body>>' ...]

Each argument gives object N generation G the body after "N G obj". The
new trailer keeps the last trailer's /Root and /ID and chains to it with
/Prev (the same as crates/docflow-pdf/tests/common/mod.rs append_update).
"""
import re
import sys

src, dst, *objects = sys.argv[1:]
pdf = open(src, "rb").read()
tail = pdf[-4096:]
startxref = int(re.findall(rb"startxref\s+(\d+)", tail)[-1])
trailer = re.findall(rb"trailer\s*<<(.*?)>>\s*startxref", tail, re.S)[-1]
root = re.search(rb"/Root\s+(\d+)\s+(\d+)\s+R", trailer)
size = int(re.search(rb"/Size\s+(\d+)", trailer).group(1))
ident = re.search(rb"/ID\s*\[[^\]]*\]", trailer)
out = bytearray(pdf)
offsets = []
for spec in objects:
    n, g, body = spec.split(" ", 2)
    offsets.append((int(n), int(g), len(out)))
    out += f"{n} {g} obj\n{body}\nendobj\n".encode()
xref = len(out)
out += b"xref\n"
for n, g, off in sorted(offsets):
    out += f"{n} 1\n{off:010} {g:05} n\r\n".encode()
    size = max(size, n + 1)
out += b"trailer\n<< /Size %d /Root %s %s R" % (size, root.group(1), root.group(2))
if ident:
    out += b" " + ident.group(0)
out += b" /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (startxref, xref)
open(dst, "wb").write(bytes(out))
