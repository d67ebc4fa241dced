"""Helpers shared by tests of several apps."""

from __future__ import annotations

import base64
import re
import zlib


def pdf_text(pdf: bytes) -> str:
    """The decoded content streams of a ReportLab PDF (ASCII85 + Flate)."""
    streams = re.findall(rb"stream\r?\n(.*?)endstream", pdf, flags=re.S)
    encoded = [s.strip().removeprefix(b"<~").removesuffix(b"~>") for s in streams if s.strip().endswith(b"~>")]
    return "".join(zlib.decompress(base64.a85decode(s)).decode("latin-1") for s in encoded)
