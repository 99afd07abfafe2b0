#!/usr/bin/env python3
"""Writes a PDF to stdout, for tests and benchmarks that need documents.
usage: make_pdf.py TEXT > FILE
         one page showing TEXT: several documents a person (and cmp) can
         tell apart
       make_pdf.py --document TEXT_FILE BYTES > FILE
         a document of about BYTES bytes as office documents are: pages of
         TEXT_FILE's lines (Flate-compressed, as PDF writers store text) and
         one photograph-like image per page, of random pixels so that no
         compression shrinks it (as JPEG data does not shrink)
"""
import os
import sys
import zlib

LINES_PER_PAGE = 48
IMAGE_WIDTH = 128  # pixels; the height makes the size


def escape(text):
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf(objects):
    """The file for OBJECTS (bodies, numbered from 1; 1 is the catalog)."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    # the cross-reference table: each object's byte offset, as readers need it
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def stream(data, extra=b""):
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def one_page_pdf(text):
    content = ("BT /F1 24 Tf 72 720 Td (%s) Tj ET" % escape(text)).encode()
    return pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        stream(content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])


def document_pdf(lines, size, rows=None):
    pages = max(1, round(size / 50000))  # pages of some 50 KB, as scanned or illustrated ones are
    if rows is None:
        # the images' height makes up what the text and structure leave of SIZE
        rest = size - len(document_pdf(lines, size, rows=1)) + pages * IMAGE_WIDTH * 3
        rows = max(1, rest // (pages * IMAGE_WIDTH * 3))
    # objects: 1 catalog, 2 pages, 3 font, then per page: page, content, image
    objects = [b"", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for n in range(pages):
        page = 4 + 3 * n
        kids.append(b"%d 0 R" % page)
        text = [lines[(n * LINES_PER_PAGE + i) % len(lines)] for i in range(LINES_PER_PAGE)]
        ops = ["BT /F1 10 Tf 12 TL 56 760 Td"] + ["(%s) '" % escape(t[:100]) for t in text]
        ops.append("ET q 200 0 0 200 356 60 cm /Im0 Do Q")
        content = zlib.compress("\n".join(ops).encode("latin-1", "replace"))
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R"
                       b" /Resources << /Font << /F1 3 0 R >> /XObject << /Im0 %d 0 R >> >> >>"
                       % (page + 1, page + 2))
        objects.append(stream(content, b"/Filter /FlateDecode "))
        objects.append(stream(os.urandom(IMAGE_WIDTH * 3 * rows),
                              b"/Type /XObject /Subtype /Image /Width %d /Height %d"
                              b" /ColorSpace /DeviceRGB /BitsPerComponent 8 "
                              % (IMAGE_WIDTH, rows)))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), pages)
    return pdf(objects)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--document":
        with open(sys.argv[2], encoding="utf-8", errors="replace") as f:
            lines = [line.rstrip() for line in f if line.strip()] or ["(empty)"]
        sys.stdout.buffer.write(document_pdf(lines, int(sys.argv[3])))
    elif len(sys.argv) == 2:
        sys.stdout.buffer.write(one_page_pdf(sys.argv[1]))
    else:
        sys.exit("usage: make_pdf.py TEXT > FILE\n       make_pdf.py --document TEXT_FILE BYTES > FILE")
