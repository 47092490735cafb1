"""Files made with known metadata by independent tools, for the metadata
tests: a PDF from reportlab with author, XMP, document ids and an
incremental update, a docx from python-docx with an author and a comment,
an MP4 from PyAV (FFmpeg) with a location in ``©xyz`` and ``loci``, a GIF
from Pillow with a comment, and a HEIC photo from libheif's encoder
(Debian's heif-enc; an AVIF from it too) carrying a camera make and model,
a GPS position and XMP with an author."""

from __future__ import annotations

import io
import re
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import av
import docx
import pikepdf
from PIL import Image
from reportlab.pdfgen import canvas  # type: ignore[import-untyped]  # reportlab ships no type hints

from tests.browser.images import exif_segment

AUTHOR = "Jane Whistle"
PDF_TEXT = "Quarterly figures were changed on 3 May"
DOCX_TEXT = "The invoice total was altered after approval."
COMMENT_TEXT = "Check this figure against the ledger."
EARLIER_DRAFT = "Earlier draft: the CFO signed it"
LOCATION = "+52.5200+013.4050/"
GIF_COMMENT = "Taken by Jane Whistle at Acme HQ"
MP4_FRAMES = 10


def pdf_with_metadata() -> bytes:
    """A one-page PDF: Info (author, title, creator), XMP, /ID, and an
    incremental update holding an object no page uses any more."""
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=(400, 200), invariant=True)
    page.setAuthor(AUTHOR)
    page.setTitle("Board pack, confidential")
    page.setCreator("AcmeWriter 7 on JANE-LAPTOP")
    page.drawString(20, 100, PDF_TEXT)
    page.save()
    with pikepdf.open(io.BytesIO(out.getvalue())) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
            xmp["dc:creator"] = [AUTHOR]
            xmp["xmp:CreatorTool"] = "AcmeWriter 7"
        saved = io.BytesIO()
        pdf.save(saved, object_stream_mode=pikepdf.ObjectStreamMode.disable, static_id=True)
    base = saved.getvalue()
    with pikepdf.open(io.BytesIO(base)) as written:  # saving renumbers the objects
        root, info = written.Root.objgen, written.trailer.Info.objgen
    prev = int(re.findall(rb"startxref\s+(\d+)", base)[-1])
    body = f"\n99 0 obj\n({EARLIER_DRAFT})\nendobj\n".encode()
    xref_at = len(base) + len(body)
    update = (
        body
        + (
            f"xref\n99 1\n{len(base) + 1:010d} 00000 n \n"
            f"trailer\n<< /Size 100 /Root {root[0]} 0 R /Info {info[0]} 0 R /Prev {prev}"
            f" /ID [<0badc0ffee> <0badc0ffee>] >>\nstartxref\n{xref_at}\n%%EOF\n"
        ).encode()
    )
    return base + update


def docx_with_metadata() -> bytes:
    """A docx with an author, a last editor and a comment by that author."""
    document = docx.Document()
    paragraph = document.add_paragraph(DOCX_TEXT)
    document.add_comment(paragraph.runs, text=COMMENT_TEXT, author=AUTHOR, initials="JW")
    document.core_properties.author = AUTHOR
    document.core_properties.last_modified_by = AUTHOR
    document.core_properties.title = "Invoice review"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4_with_location() -> bytes:
    """A ten-frame MP4 from FFmpeg (title, creation time, ``loci``), with a
    ``©xyz`` location added to moov/udta as phones write it. FFmpeg puts moov
    after mdat, so growing moov moves no sample."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        container.metadata.update(
            {
                "location": LOCATION,
                "title": "Warehouse, night shift",
                "creation_time": "2024-05-01T22:10:00Z",
            }
        )
        for i in range(MP4_FRAMES):
            frame = av.VideoFrame(64, 48, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([i * 20]) * plane.buffer_size)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    data = out.getvalue()
    moov = data.index(b"moov") - 4
    udta = data.index(b"udta", moov) - 4
    assert struct.unpack(">I", data[moov : moov + 4])[0] == len(data) - moov, "moov is last"
    xyz = _box(b"\xa9xyz", struct.pack(">HH", len(LOCATION), 0x15C7) + LOCATION.encode())
    (udta_size,) = struct.unpack(">I", data[udta : udta + 4])
    grown = bytearray(data[: udta + udta_size] + xyz + data[udta + udta_size :])
    grown[udta : udta + 4] = struct.pack(">I", udta_size + len(xyz))
    grown[moov : moov + 4] = struct.pack(">I", len(grown) - moov)
    return bytes(grown)


def gif_with_comment() -> bytes:
    """A two-frame looping GIF with a comment extension."""
    frames = [Image.new("P", (32, 24), color) for color in (1, 2)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], loop=0, comment=GIF_COMMENT)
    return out.getvalue()


HEIC_SIZE = (120, 90)


def heic_picture() -> Image.Image:
    """What the HEIC shows: a white block on red, to compare after the round trip."""
    picture = Image.new("RGB", HEIC_SIZE, (200, 50, 50))
    picture.paste((255, 255, 255), (10, 10, 60, 50))
    return picture


def heic_with_gps(*, avif: bool = False) -> bytes:
    """A HEIC photo encoded by heif-enc (libheif with x265; an AVIF picture with
    aom when ``avif``), which copies the source JPEG's Exif (make, model, GPS)
    and XMP (dc:creator) into it."""
    heif_enc = shutil.which("heif-enc")
    if heif_enc is None:
        raise RuntimeError(
            "the HEIC test needs heif-enc (Debian's libheif-examples): run .ci/tools"
        )
    jpeg = io.BytesIO()
    heic_picture().save(jpeg, "JPEG", quality=95)
    xmp = (
        b"http://ns.adobe.com/xap/1.0/\0"
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq>'
        + b"<rdf:li>"
        + AUTHOR.encode()
        + b"</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    xmp_segment = b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp
    data = jpeg.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "in.jpg", Path(tmp) / "out.heic"
        source.write_bytes(data[:2] + exif_segment() + xmp_segment + data[2:])
        encode = [heif_enc, *(["--avif"] if avif else []), "-q", "90", "-o", str(out), str(source)]
        subprocess.run(encode, check=True, capture_output=True)
        return out.read_bytes()
