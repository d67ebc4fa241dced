"""The pages shown when something failed (500) or the database is busy (503): one frame
(error_frame.html), rendered without a request and without the database."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation


@pytest.mark.parametrize(
    ("template", "heading", "says"),
    [
        ("500.html", "Terjadi kesalahan", "Kembali ke halaman awal"),
        ("503.html", "Basis data sedang sibuk: silakan coba lagi sebentar lagi", "Basis data sibuk (uji)."),
    ],
)
def test_an_error_page_is_the_frame_with_its_own_words(template: str, heading: str, says: str) -> None:
    with translation.override("id"):
        page = render_to_string(template, {"message": "Basis data sibuk (uji)."})  # no request, no database
    assert page.startswith("<!doctype html>") and '<html lang="id">' in page
    assert re.search(r"<title>([^<]*) · entas</title>", page)
    assert '<header class="topbar"><a class="brand" href="/">entas</a></header>' in page
    assert "entas/style.css" in page and '<section class="card narrow" role="alert">' in page
    assert f"<h1>{heading}</h1>" in page and says in page
