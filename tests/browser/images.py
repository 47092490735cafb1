"""Test images with identifying metadata: a real JPEG (drawn by chromium)
with an EXIF segment holding a camera make, model and a GPS position."""

from __future__ import annotations

import base64
import struct
from typing import Any

JPEG_EXIF_FIELDS = {"Make", "Model", "GPS", "GPSLatitude", "GPSLongitude"}


def _ifd(
    entries: list[tuple[int, int, int, bytes]], data_offset: int, next_ifd: int = 0
) -> tuple[bytes, bytes]:
    """Little-endian IFD: entries (tag, type, count, value bytes); values > 4 bytes go after it."""
    head = struct.pack("<H", len(entries))
    extra = b""
    base = data_offset + 2 + 12 * len(entries) + 4
    for tag, typ, count, value in entries:
        if len(value) <= 4:
            head += struct.pack("<HHI", tag, typ, count) + value.ljust(4, b"\0")
        else:
            head += struct.pack("<HHII", tag, typ, count, base + len(extra))
            extra += value + (b"\0" if len(value) % 2 else b"")
    return head + struct.pack("<I", next_ifd), extra


def exif_segment() -> bytes:
    make, model = b"CandorCam\0", b"Whistle 1\0"
    rational = lambda *pairs: b"".join(struct.pack("<II", a, b) for a, b in pairs)  # noqa: E731
    # IFD0 at offset 8; GPS IFD placed after IFD0's data.
    ifd0_entries = [
        (0x010F, 2, len(make), make),
        (0x0110, 2, len(model), model),
        (0x8825, 4, 1, b""),
    ]
    probe, extra = _ifd([*ifd0_entries[:2], (0x8825, 4, 1, b"\0\0\0\0")], 8)
    gps_offset = 8 + len(probe) + len(extra)
    ifd0, extra = _ifd([*ifd0_entries[:2], (0x8825, 4, 1, struct.pack("<I", gps_offset))], 8)
    gps, gps_extra = _ifd(
        [
            (0x0001, 2, 2, b"N\0"),
            (0x0002, 5, 3, rational((52, 1), (31, 1), (1234, 100))),
            (0x0003, 2, 2, b"E\0"),
            (0x0004, 5, 3, rational((13, 1), (24, 1), (5678, 100))),
        ],
        gps_offset,
    )
    tiff = b"II*\0" + struct.pack("<I", 8) + ifd0 + extra + gps + gps_extra
    body = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


def jpeg_with_gps(page: Any) -> bytes:
    """A 64x48 JPEG drawn in a blank page, with the EXIF segment inserted after SOI."""
    data_url = page.evaluate(
        """() => { const c = document.createElement('canvas'); c.width = 64; c.height = 48;
                   const g = c.getContext('2d'); g.fillStyle = '#c33'; g.fillRect(0, 0, 64, 48);
                   g.fillStyle = '#fff'; g.fillRect(8, 8, 24, 16);
                   return c.toDataURL('image/jpeg', 0.9); }"""
    )
    jpeg = base64.b64decode(data_url.split(",", 1)[1])
    assert jpeg[:2] == b"\xff\xd8"
    return jpeg[:2] + exif_segment() + jpeg[2:]
