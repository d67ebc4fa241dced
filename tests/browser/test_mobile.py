"""No page scrolls sideways on a 390-pixel phone, except inside a table that scrolls on its own.

Every GET page of the URL matrix (tests/security/test_url_matrix.py: routes are read from the URL
resolver, so a page added tomorrow is visited too) is opened at 390 × 844 with the matrix's small
city of two kelurahan, as a city-wide Dinas Sosial manager and as an administrator (for the pages a
manager may not open). A wide table is fine when its container scrolls (``.table-scroll``; on a
narrow screen the shared CSS makes every table its own horizontal scroller); anything else wider
than the screen fails the page, named with the element that sticks out."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import NoReverseMatch, get_resolver, reverse

from tests.security import test_url_matrix as matrix

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 390
world = matrix.world  # the matrix's small city (a pytest fixture)

# What sticks out beyond the screen and is not inside an element that scrolls by itself.
OVERFLOW = """(width) => {
  const out = [];
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      const root = p === document.documentElement || p === document.body;
      if (!root && (x === "auto" || x === "scroll" || x === "hidden")) return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 && r.width > 0 && !scrolls(el)) {
      const cls = typeof el.className === "string" && el.className.trim() ? "." + el.className.trim() : "";
      out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + cls + " right=" + Math.round(r.right));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, out: out.slice(0, 5)};
}"""


def _pages(world: matrix.World) -> list[tuple[str, str]]:
    """(route name, URL) of every GET page the matrix knows how to reach (no API, no file download)."""
    pages = []
    for name in sorted(set(matrix._routes(get_resolver().url_patterns))):
        route = matrix.ROUTES.get(name)
        if name in matrix.PUBLIC and name not in {"login"}:
            continue
        if route is not None and (route.api or "GET" not in route.methods):
            continue
        try:
            url = reverse(name, kwargs=route.kwargs(world) if route else {})
        except NoReverseMatch:
            continue  # a new route the matrix does not know yet: its own test says so
        pages.append((name, url))
    return pages


@pytest.mark.parametrize("username", ["dinsos.kota", "admin"])
def test_no_page_scrolls_sideways_on_a_phone(
    browser: Any, live_server: Any, world: matrix.World, request: pytest.FixtureRequest, username: str
) -> None:
    if username == "admin":
        request.getfixturevalue("admin_user")  # sees the pages a manager may not (audit, users)
    context = browser.new_context(locale="id-ID", viewport={"width": WIDTH, "height": 844}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill("correct-horse-battery")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{live_server.url}/")
    failures, visited = [], 0
    for name, url in _pages(world):
        head = page.request.get(f"{live_server.url}{url}")
        if "text/html" not in (head.headers.get("content-type") or ""):
            continue  # a file (a template, a list, a job's result), not a page
        response = page.goto(f"{live_server.url}{url}")
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        visited += 1
        page.wait_for_load_state("load")
        found = page.evaluate(OVERFLOW, WIDTH)
        if found["scrollWidth"] > WIDTH:
            failures.append(f"{name} {url}: {found['scrollWidth']} px wide; sticking out: {found['out']}")
    context.close()
    assert visited >= 15, f"only {visited} pages visited"
    assert not failures, "pages wider than a phone:\n" + "\n".join(failures)
