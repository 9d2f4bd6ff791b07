#!/usr/bin/env python3
"""Scanner-style PDFs of one sample scan, in every codec and layout issue 17 item 5 names.

Usage: make_scan_pdfs.py OUT_DIR

Made from samples/scans/uy-quyen-trang-1.png (200 dpi gray) and don-xac-nhan-hon-nhan.jpg
(200 dpi colour) with real encoders only: libtiff through Pillow (CCITT G3 1-D, 2-D, with fill
bits, and G4; LZW; PackBits), OpenJPEG through Pillow (JPEG 2000), libjpeg through Pillow
(JPEG), and pikepdf/qpdf to write the PDFs. JBIG2: no JBIG2 encoder is packaged for Debian 12
or on PyPI, so `jbig2-mmr.pdf` wraps libtiff's Group 4 data as a JBIG2 generic region with
MMR coding (ITU-T T.88 §6.2.6, which is T.6 coding), in a page-information segment and an
immediate lossless generic region segment (§7.2 segment headers, §7.4.8 page information,
§7.4.6 generic region), with no /JBIG2Globals (globals hold symbol dictionaries, which only a
real encoder makes: the real-file test, OCRmyPDF's jbig2enc output, covers them).

Writes beside each PDF the references a test compares against:
  ref-gray.png     the gray page, which lossless gray codecs (LZW, RunLength, JPX lossless,
                   the tiled page) must give back exactly;
  ref-bilevel.png  the page thresholded at 128, which every bi-level codec must give back
                   exactly;
  mrc-mask.png     the MRC page's text layer (black where the stencil paints);
  NAME.gt.txt      the sample's ground truth for `sohoa eval ocr`;
  expect.json      for each PDF: its reference and the resolution its decode must report.
"""

import io
import json
import pathlib
import shutil
import struct
import sys

import pikepdf
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCANS = ROOT / "samples" / "scans"
GRAY_SRC = "uy-quyen-trang-1"
COLOUR_SRC = "don-xac-nhan-hon-nhan"


def tiff_strip(img, **save):
    """The single strip of a TIFF Pillow (libtiff) writes with these options."""
    buf = io.BytesIO()
    img.save(buf, "TIFF", strip_size=1 << 30, **save)
    t = Image.open(io.BytesIO(buf.getvalue()))
    offsets, counts = t.tag_v2[273], t.tag_v2[279]
    assert len(offsets) == 1, "one strip expected"
    data = buf.getvalue()
    return data[offsets[0] : offsets[0] + counts[0]], t.tag_v2.get(262)


def page_pdf(path, size_px, dpi, layers):
    """One page of `size_px` at `dpi`; `layers`: (name, dict, data, cm) drawn in order."""
    pdf = pikepdf.new()
    w_pt, h_pt = size_px[0] * 72 / dpi, size_px[1] * 72 / dpi
    xobjects, content = {}, []
    for name, d, data, cm in layers:
        d = dict(d)
        fill = d.pop("_fill", None)
        s = pikepdf.Stream(pdf, data)
        s.Type = pikepdf.Name.XObject
        s.Subtype = pikepdf.Name.Image
        for k, v in d.items():
            s[k] = v
        xobjects["/" + name] = s
        if cm is None:
            cm = (w_pt, 0, 0, h_pt, 0, 0)
        content.append(
            (f"{fill} rg " if fill else "")
            + "q " + " ".join(f"{v:.4f}" for v in cm) + f" cm /{name} Do Q"
        )
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, w_pt, h_pt],
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(xobjects)),
        Contents=pdf.make_stream("\n".join(content).encode()),
    )
    pdf.pages.append(pikepdf.Page(page))
    pdf.save(path)


def name(n):
    return pikepdf.Name("/" + n)


def jbig2_mmr(g4, w, h):
    """A JBIG2 embedded stream: page information + immediate lossless generic region (MMR)."""

    def seg(number, kind, data):
        # number, flags (type; 1-byte page association), referred-to count 0, page 1, length
        return struct.pack(">IBBBI", number, kind, 0, 1, len(data)) + data

    page_info = struct.pack(">IIIIBH", w, h, 0, 0, 0, 0)
    region = struct.pack(">IIIIB", w, h, 0, 0, 0) + bytes([1]) + g4
    return seg(0, 48, page_info) + seg(1, 39, region)


def main(out):
    out.mkdir(parents=True, exist_ok=True)
    gray = Image.open(SCANS / f"{GRAY_SRC}.png").convert("L")
    dpi = 200
    w, h = gray.size
    bilevel = gray.point(lambda v: 255 if v >= 128 else 0).convert("1")
    gray.save(out / "ref-gray.png")
    bilevel.convert("L").save(out / "ref-bilevel.png")
    expect = {}

    def add(pdf_name, ref, layers, size=(w, h), res=dpi):
        page_pdf(out / pdf_name, size, res, layers)
        expect[pdf_name] = {"ref": ref, "dpi": res}

    gray_dict = {"/Width": w, "/Height": h, "/ColorSpace": name("DeviceGray"), "/BitsPerComponent": 8}
    bw_dict = {"/Width": w, "/Height": h, "/ColorSpace": name("DeviceGray"), "/BitsPerComponent": 1}

    # Fax coding codes runs of 1 bits as black; Pillow's mode "1" has 1 for white, so the
    # encoders are given the negative (`ink`), whose 1 bits are the black pixels.
    ink = bilevel.point(lambda v: 255 - v)
    for pdf_name, opts, k, align in [
        ("g3-1d.pdf", 0, 0, False),
        ("g3-2d.pdf", 1, 4, False),
        ("g3-aligned.pdf", 4, 0, True),
        ("g4.pdf", None, -1, False),
    ]:
        if opts is None:
            data, _ = tiff_strip(ink, compression="group4")
        else:
            data, _ = tiff_strip(ink, compression="group3", tiffinfo={292: opts})
        parms = {"/K": k, "/Columns": w, "/Rows": h}
        if k >= 0:
            parms["/EndOfLine"] = True
        if align:
            parms["/EncodedByteAlign"] = True
        d = dict(bw_dict, **{"/Filter": name("CCITTFaxDecode"), "/DecodeParms": pikepdf.Dictionary(parms)})
        add(pdf_name, "ref-bilevel.png", [("Im0", d, data, None)])

    g4, _ = tiff_strip(ink, compression="group4")
    d = dict(bw_dict, **{"/Filter": name("JBIG2Decode")})
    add("jbig2-mmr.pdf", "ref-bilevel.png", [("Im0", d, jbig2_mmr(g4, w, h), None)])

    lzw, _ = tiff_strip(gray, compression="tiff_lzw")
    add("lzw.pdf", "ref-gray.png", [("Im0", dict(gray_dict, **{"/Filter": name("LZWDecode")}), lzw, None)])
    packbits, _ = tiff_strip(gray, compression="packbits")
    add(
        "runlength.pdf",
        "ref-gray.png",
        [("Im0", dict(gray_dict, **{"/Filter": name("RunLengthDecode")}), packbits + b"\x80", None)],
    )

    buf = io.BytesIO()
    gray.save(buf, "JPEG2000", irreversible=False, no_jp2=False)
    d = {"/Width": w, "/Height": h, "/Filter": name("JPXDecode")}
    add("jpx.pdf", "ref-gray.png", [("Im0", d, buf.getvalue(), None)])

    # Two tiles, top and bottom half, each its own Flate image.
    import zlib

    top_h = h // 2
    w_pt, h_pt = w * 72 / dpi, h * 72 / dpi
    tiles = []
    for i, (y0, y1) in enumerate([(0, top_h), (top_h, h)]):
        tile = gray.crop((0, y0, w, y1))
        d = dict(gray_dict, **{"/Height": y1 - y0, "/Filter": name("FlateDecode")})
        tile_h_pt = (y1 - y0) * 72 / dpi
        cm = (w_pt, 0, 0, tile_h_pt, 0, h_pt - y1 * 72 / dpi)
        tiles.append((f"T{i}", d, zlib.compress(tile.tobytes()), cm))
    add("tiles.pdf", "ref-gray.png", tiles)

    # MRC: a colour JPEG background at half resolution, the text as a G4 stencil in black.
    colour = Image.open(SCANS / f"{COLOUR_SRC}.jpg").convert("RGB")
    cw, ch = colour.size
    text = colour.convert("L").point(lambda v: 0 if v < 110 else 255).convert("1")
    text.convert("L").save(out / "mrc-mask.png")
    back = colour.resize((cw // 2, ch // 2), Image.BILINEAR)
    jb = io.BytesIO()
    back.save(jb, "JPEG", quality=60)
    back_d = {
        "/Width": cw // 2,
        "/Height": ch // 2,
        "/ColorSpace": name("DeviceRGB"),
        "/BitsPerComponent": 8,
        "/Filter": name("DCTDecode"),
    }
    mask_g4, _ = tiff_strip(text.point(lambda v: 255 - v), compression="group4")
    mask_d = {
        "/Width": cw,
        "/Height": ch,
        "/ImageMask": True,
        "/Filter": name("CCITTFaxDecode"),
        "/DecodeParms": pikepdf.Dictionary({"/K": -1, "/Columns": cw, "/Rows": ch}),
        "_fill": "0 0 0",
    }
    page_pdf(out / "mrc.pdf", (cw, ch), dpi, [("Bg", back_d, jb.getvalue(), None), ("Fg", mask_d, mask_g4, None)])
    expect["mrc.pdf"] = {"ref": "mrc-mask.png", "dpi": dpi, "colour": True}

    for pdf_name in expect:
        src = COLOUR_SRC if pdf_name == "mrc.pdf" else GRAY_SRC
        shutil.copy(SCANS / f"{src}.gt.txt", out / pdf_name.replace(".pdf", ".gt.txt"))
    (out / "expect.json").write_text(json.dumps(expect, indent=1))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(pathlib.Path(sys.argv[1]))
