"""Probes of the web surface: what a page, a job page or the login answers a hostile or unlucky
visitor (issue #15, items 12 and 13). Each test names the behaviour that must keep holding."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import path, reverse

from entas.accounts.models import User
from entas.core import jobqueue
from entas.core.jobqueue import JobContext, job_kind

pytestmark = pytest.mark.django_db


@job_kind("test.leaky_crash", "Crash with a path in the message (test)")
def leaky_crash(ctx: JobContext) -> None:
    open("/srv/entas/var/media/imports/secret-upload.xlsx")  # noqa: SIM115  (FileNotFoundError with a path)


def test_a_crashed_job_shows_no_traceback_or_path_to_its_user_and_logs_them_for_the_administrator(
    client_for: Callable[[User], Client], operator_manggar: User, caplog: pytest.LogCaptureFixture
) -> None:
    job = jobqueue.submit(kind="test.leaky_crash", params={}, actor=operator_manggar, queue=False)
    with caplog.at_level(logging.ERROR, logger="entas.core.jobqueue"):
        job = jobqueue.execute(job.pk)
    assert job.status == "failed"
    client = client_for(operator_manggar)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    api = client.get(f"/api/v1/jobs/{job.pk}").json()
    for shown in (page, job.error, job.log, api["error"], "\n".join(api["log"])):
        assert "Traceback" not in shown
        assert "/srv/entas" not in shown and "secret-upload" not in shown and ".py" not in shown
    assert f"job #{job.pk}" in job.error and "server log" in job.error
    # The administrator finds the whole story in the server log.
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert f"job {job.pk}" in logged.lower()
    assert any(r.exc_info for r in caplog.records)
    assert "secret-upload.xlsx" in caplog.text and "Traceback" in caplog.text


def test_an_older_job_error_with_a_traceback_is_shown_without_it(
    client_for: Callable[[User], Client], operator_manggar: User
) -> None:
    job = jobqueue.submit(kind="test.leaky_crash", params={}, actor=operator_manggar, queue=False)
    type(job).objects.filter(pk=job.pk).update(
        status="failed",
        error='ValueError: bad\n\nTraceback (most recent call last):\n  File "/srv/entas/src/entas/x.py", line 1',
    )
    page = client_for(operator_manggar).get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "Traceback" not in page and "/srv/entas" not in page
    assert "ValueError: bad" in page


# --- The login lockout behind a reverse proxy -------------------------------------------------------
PROXY = "10.0.0.2"  # every request reaches Django from the proxy's address


@pytest.fixture
def fast_hashing(settings: Any) -> None:
    """Dozens of logins per test: hash the personas' passwords with a fast (test-only) hasher.
    Request it before the personas so they are created with it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _login(client: Client, username: str, password: str, client_address: str, spoofed: str = "") -> int:
    """A login through a proxy that appends the address it saw to X-Forwarded-For."""
    forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
    response = client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    return response.status_code


def test_behind_a_proxy_one_guesser_does_not_lock_the_account_for_everyone(
    settings: Any, fast_hashing: None, admin_user: User
) -> None:
    settings.ENTAS_TRUST_X_FORWARDED_FOR = 1
    attacker, admin_desk = Client(), Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(attacker, "admin", "wrong-password", "203.0.113.9")
    # The guesser is locked out (even with the right password)…
    assert _login(attacker, "admin", "correct-horse-battery", "203.0.113.9") == 429
    # …the administrator at another address is not.
    assert _login(admin_desk, "admin", "correct-horse-battery", "198.51.100.7") == 302


def test_a_guesser_cannot_dodge_the_lock_by_forging_x_forwarded_for(
    settings: Any, fast_hashing: None, operator_manggar: User
) -> None:
    settings.ENTAS_TRUST_X_FORWARDED_FOR = 1
    attacker = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(attacker, "op.manggar", "wrong-password", "203.0.113.9", spoofed=f"192.0.2.{n + 1}")
    assert _login(attacker, "op.manggar", "correct-horse-battery", "203.0.113.9", spoofed="192.0.2.99") == 429
    # The audit trail records the address the proxy saw, not the forged one.
    from entas.core.models import AuditEvent

    addresses = set(AuditEvent.objects.filter(action="auth.login_failed").values_list("client_ip", flat=True))
    assert addresses == {"203.0.113.9"}


def test_a_guesser_spread_over_many_addresses_meets_the_softer_limit_per_account(
    settings: Any, fast_hashing: None, operator_manggar: User
) -> None:
    settings.ENTAS_TRUST_X_FORWARDED_FOR = 1
    assert settings.ENTAS_LOGIN_ACCOUNT_FAILURE_LIMIT > settings.AXES_FAILURE_LIMIT
    for n in range(settings.ENTAS_LOGIN_ACCOUNT_FAILURE_LIMIT - 1):
        _login(Client(), "op.manggar", "wrong-password", f"203.0.113.{n + 1}")
    # One failure short of the account's limit, the owner still logs in (and that resets the count)…
    assert _login(Client(), "op.manggar", "correct-horse-battery", "198.51.100.7") == 302
    for n in range(settings.ENTAS_LOGIN_ACCOUNT_FAILURE_LIMIT):
        _login(Client(), "op.manggar", "wrong-password", f"203.0.113.{n + 1}")
    # …at the limit the account is locked from every address for the cool-off.
    assert _login(Client(), "op.manggar", "correct-horse-battery", "198.51.100.7") == 429


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(
    settings: Any, fast_hashing: None, operator_manggar: User
) -> None:
    settings.ENTAS_TRUST_X_FORWARDED_FOR = 0
    attacker = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        attacker.post(
            reverse("login"),
            {"username": "op.manggar", "password": "wrong-password"},
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}",
        )
    locked = attacker.post(
        reverse("login"),
        {"username": "op.manggar", "password": "correct-horse-battery"},
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_FORWARDED_FOR="192.0.2.99",
    )
    assert locked.status_code == 429


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "192.0.2.1", "10.0.0.2"),  # not behind a proxy: the header is anyone's to write
        (1, "192.0.2.1", "192.0.2.1"),
        (1, "192.0.2.66, 192.0.2.1", "192.0.2.1"),  # the client's own entry is ignored
        (2, "192.0.2.1, 198.51.100.20", "192.0.2.1"),  # a CDN in front of the proxy
        (2, "192.0.2.1", "10.0.0.2"),  # fewer hops than proxies: not from the expected chain
        (1, "not-an-address", "10.0.0.2"),
        (1, "2001:db8::1", "2001:db8::1"),
        (1, "", "10.0.0.2"),
    ],
)
def test_the_client_address_is_the_one_the_trusted_proxy_appended(
    settings: Any, proxies: int, forwarded: str, expected: str
) -> None:
    from django.test import RequestFactory

    from entas.core.middleware import request_ip

    settings.ENTAS_TRUST_X_FORWARDED_FOR = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert request_ip(request) == expected


# --- The API documentation ------------------------------------------------------------------------
def test_anonymous_visitors_get_no_api_documentation_or_schema() -> None:
    for url in ("/api/docs", "/api/openapi.json"):
        response = Client().get(url)
        assert response.status_code in {302, 401}, url
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("login"))


def test_the_api_documentation_loads_nothing_from_another_host(
    client_for: Callable[[User], Client], operator_manggar: User
) -> None:
    import re

    page = client_for(operator_manggar).get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert re.findall(r"""(?:src|href)=["']((?:https?:)?//[^"']*)""", html) == []
    # Only the page's addresses are searched for "cdn": the whole page holds random tokens (the CSRF
    # token), which spelled "cdn" now and then.
    addresses = re.findall(r"""(?:src|href)=["']([^"']*)""", html)
    assert "swagger-ui-bundle.js" in html and not [a for a in addresses if "cdn" in a.lower()]
    assert client_for(operator_manggar).get("/api/openapi.json").json()["info"]["title"] == "entas API"


# --- Security headers and inline code -----------------------------------------------------------
def _plain_urls() -> list[str]:
    """Every URL pattern of entas without a parameter (the admin's apart: checked below)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            route = str(p.pattern)
            if "<" in route or "(?P" in route or route.startswith("^"):
                continue
            if isinstance(p, URLResolver):
                if route != "admin/":
                    walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern):
                found.append("/" + prefix + route)

    walk(get_resolver().url_patterns, "")
    return found


def _assert_no_inline_code(html: str, url: str) -> None:
    import re

    for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I):
        assert "src=" in tag or 'type="application/json"' in tag, f"{url}: inline script {tag}"
    assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I), f"{url}: an event-handler attribute"
    assert not re.search(r"\sstyle\s*=", html, flags=re.I), f"{url}: a style attribute"
    assert not re.search(r"<style\b", html, flags=re.I), f"{url}: a <style> element"


def test_every_page_answers_with_a_strict_csp_and_a_permissions_policy(
    client_for: Callable[[User], Client], admin_user: User, manggar_household: Any
) -> None:
    urls = _plain_urls()
    assert {"/", "/audit/", "/registry/", "/accounts/login/", "/monitoring/poverty-profile/"} <= set(urls)
    urls += [
        reverse("registry:household_detail", args=[manggar_household.pk]),
        "/admin/",
        "/admin/accounts/user/",
        "/static/entas/style.css",
        "/no-such-page/",
        "/api/v1/regions/",
    ]
    client = client_for(admin_user)
    checked = 0
    for url in urls:
        response = client.get(url)
        csp = response.headers.get("Content-Security-Policy", "")
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
        assert directives.get("default-src") == "'self'", url
        assert directives.get("script-src") == "'self'", url
        assert directives.get("style-src") == "'self'", url
        assert directives.get("object-src") == "'none'" and directives.get("frame-ancestors") == "'none'", url
        assert "unsafe" not in csp, url
        permissions = response.headers.get("Permissions-Policy", "")
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert f"{feature}=()" in permissions, (url, feature)
        if response.get("Content-Type", "").startswith("text/html") and response.status_code == 200:
            _assert_no_inline_code(
                b"".join(response).decode() if response.streaming else response.content.decode(), url
            )
            checked += 1
    assert checked >= 15


def test_anonymous_pages_and_redirects_carry_the_headers_too() -> None:
    for url in ("/accounts/login/", "/", "/api/v1/regions/"):
        response = Client().get(url)
        assert "Content-Security-Policy" in response.headers, url
        assert "Permissions-Policy" in response.headers, url


def test_no_template_has_inline_script_event_handlers_or_style_attributes() -> None:
    import re
    from pathlib import Path

    import entas

    root = Path(entas.__file__).parent
    offenders = []
    for template in root.rglob("templates/**/*.html"):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text, flags=re.I):
            if "src=" not in tag:
                offenders.append(f"{template}: {tag}")
        if re.search(r"\son[a-z]+\s*=", text) or re.search(r"\sstyle\s*=", text) or "<style" in text:
            offenders.append(str(template))
    assert offenders == []


# --- Server errors ----------------------------------------------------------------------------------
def _crash(request: Any) -> Any:
    raise RuntimeError("cannot open /srv/entas/var/media/imports/secret-upload.xlsx")


urlpatterns = [path("crash/", _crash)]


@pytest.mark.urls("tests.security.test_web")
def test_a_server_error_shows_the_entas_page_without_a_traceback(settings: Any) -> None:
    settings.DEBUG = False  # the default (tests/core/test_setup.py checks it)
    client = Client(raise_request_exception=False)
    response = client.get("/crash/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "Traceback" not in html and "/srv/entas" not in html and "RuntimeError" not in html
    assert "Terjadi kesalahan" in html  # entas's own page, in Indonesian
    assert "Content-Security-Policy" in response.headers
    _assert_no_inline_code(html, "/crash/")


def test_a_rejected_form_gets_the_entas_page_without_inline_styles(operator_manggar: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator_manggar)
    response = client.post(reverse("registry:export"))
    html = response.content.decode()
    assert response.status_code == 403
    assert "Formulir kedaluwarsa" in html
    _assert_no_inline_code(html, "csrf failure")
