#!/usr/bin/env python3
"""Write deterministic benchmark PDFs of a given size (standard library only).

Each page is an A4 page showing one uncompressed 8-bit grey image of random bytes (seeded), so
the file is incompressible, close to a scanned dossier (one large image per page), and about
`target` bytes long: whole pages of PAGE_IMAGE_BYTES, the last image trimmed to fit. The file is
a classic PDF 1.7 with a single xref table (no object streams, no incremental updates).

    python3 scripts/bench_make_pdf.py OUT.pdf SIZE_MIB [SEED]
"""

import os
import random
import sys

IMAGE_WIDTH = 1024  # pixels = bytes per row (DeviceGray, 8 bpc)
PAGE_IMAGE_BYTES = 512 * 1024  # 1024 x 512 pixels per full page
SIZE_TOLERANCE = 64 * 1024  # a cached file within this of the target is reused
_OVERHEAD_PER_PAGE = 600  # generous upper bound of the non-image bytes per page


def make_pdf(path, target, seed=1):
    """Write a valid PDF of about `target` bytes (within IMAGE_WIDTH + a few hundred) to path."""
    rng = random.Random(seed)
    budget = max(target - 400, IMAGE_WIDTH)  # header, catalog, pages, xref, trailer
    images = []
    while budget > 0:
        take = min(PAGE_IMAGE_BYTES, budget - _OVERHEAD_PER_PAGE)
        rows = max(1, take // IMAGE_WIDTH)
        images.append(rows)
        budget -= rows * IMAGE_WIDTH + _OVERHEAD_PER_PAGE
        if take < PAGE_IMAGE_BYTES:
            break
    n = len(images)
    # Objects: 1 catalog, 2 pages, then per page i: page 3+3i, contents 4+3i, image 5+3i.
    offsets = {}
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:

        def obj(num, body, stream=None):
            offsets[num] = f.tell()
            f.write(b"%d 0 obj\n" % num)
            f.write(body)
            if stream is not None:
                f.write(b"\nstream\n")
                f.write(stream)
                f.write(b"\nendstream")
            f.write(b"\nendobj\n")

        f.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        kids = b" ".join(b"%d 0 R" % (3 + 3 * i) for i in range(n))
        obj(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n))
        for i, rows in enumerate(images):
            page, contents, image = 3 + 3 * i, 4 + 3 * i, 5 + 3 * i
            obj(
                page,
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                b"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
                % (image, contents),
            )
            height = max(1, 842 * rows * IMAGE_WIDTH // PAGE_IMAGE_BYTES)
            ops = b"q 595 0 0 %d 0 %d cm /Im0 Do Q" % (height, 842 - height)
            obj(contents, b"<< /Length %d >>" % len(ops), ops)
            data = rng.randbytes(rows * IMAGE_WIDTH)
            obj(
                image,
                b"<< /Type /XObject /Subtype /Image /Width %d /Height %d "
                b"/ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>"
                % (IMAGE_WIDTH, rows, len(data)),
                data,
            )
        size = 3 + 3 * n
        xref = f.tell()
        f.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        for num in range(1, size):
            f.write(b"%010d 00000 n \n" % offsets[num])
        f.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
    os.replace(tmp, path)
    return n


def is_cached(path, target):
    """True when path exists, has about the target size and looks like a finished PDF."""
    try:
        if abs(os.path.getsize(path) - target) > SIZE_TOLERANCE:
            return False
        with open(path, "rb") as f:
            head = f.read(8)
            f.seek(-16, os.SEEK_END)
            tail = f.read()
        return head.startswith(b"%PDF-") and b"%%EOF" in tail
    except OSError:
        return False


def ensure_pdf(path, target, seed=1):
    """Generate path unless a finished file of the right size is already there. True if made."""
    if is_cached(path, target):
        return False
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    make_pdf(path, target, seed)
    return True


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    out, mib = sys.argv[1], float(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) == 4 else 1
    pages = make_pdf(out, int(mib * 1024 * 1024), seed)
    print(f"{out}: {os.path.getsize(out)} bytes, {pages} pages")
