"""Cross-site scripting: hostile text in every free-text field reaches no page as markup.

A city is built whose every field that a page, an API answer, a chart or a message can show carries
payloads (tests/security/xss.py: script elements, attribute break-outs, ``javascript:`` URLs, a
``</script>`` that would end an inline JSON block, template syntax, a ``</textarea>``), entered the
way such text arrives (files, services behind the forms). Then every route of the URL matrix
(tests/security/test_url_matrix.py, so a new page is covered the day it is added) is requested by
every persona, and each answer is read as a browser would: no script, handler or script URL that came
from data, every chart spec valid JSON, every JSON answer valid; and each planted string is shown
somewhere, verbatim, so the sweep is known to have looked at it. The forms are then filled with the
payloads (reflected and stored through the pages themselves), and the htmx partials are read too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from tests.security.test_url_matrix import PUBLIC, ROUTES
from tests.security.xss import (
    BREAKOUT,
    HOSTILE_FILE_NAME,
    IMG,
    LINK,
    SCRIPT,
    TEXTAREA,
    City,
    Seen,
    body_of,
    build_city,
    forms_of,
    hostile,
    read_answer,
)

pytestmark = pytest.mark.django_db

PERSONAS = ("operator_damai", "dinsos_manager", "tkpk_analyst", "auditor", "partner", "admin_user")


@pytest.fixture
def city(
    regions: dict[str, Any],
    make_user: Callable[..., User],
    operator_damai: User,
    dinsos_manager: User,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> City:
    return build_city(
        regions=regions,
        make_user=make_user,
        operator_damai=operator_damai,
        dinsos_manager=dinsos_manager,
        tmp_path=tmp_path,
        monkeypatch=monkeypatch,
    )


# Routes that answer only with a query parameter or an object the hostile city does not hold (an
# indicator's values, a comparison of saved scenarios chosen by ``?ids=``): a 404 to every persona. What
# they show (figures, area names) is shown by the dashboard and scenario pages the sweep does read.
# The API's download of a report's archived file answers only for a final version (409 for the hostile
# city's draft); the report's text is read on its page. The API's small-area fit needs a survey round
# (the hostile city holds none; the kelurahan names it would show are the region table's), and the
# registry export's file answers only once an export job has finished (a CSV/XLSX file, not markup).
NEEDS_QUERY = {
    "api:monitoring_indicator_values",
    "evaluation:compare",
    "monitoring:dashboard_csv",
    "api:preview",
    "api:reports_download",
    "api:monitoring_small_area",
    "api:registry_export_file",
}


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _sweep(city: City, seen: Seen) -> set[str]:
    """GET every route as every persona; the routes that answered someone."""
    answered = set()
    for persona in PERSONAS:
        client = _client(city.users[persona])
        for name in sorted(PUBLIC - {"logout"}):  # the API's documentation, the language switch, …
            read_answer(f"{persona} GET {name}", client.get(reverse(name)), seen)
        for name, route in ROUTES.items():
            if "GET" not in route.methods:
                continue
            url = reverse(name, kwargs=route.kwargs(city.world))
            response = client.get(url)
            read_answer(f"{persona} GET {url}", response, seen)
            if response.status_code == 200:
                answered.add(name)
        # The audit trail pages by 50 newest first: its older events (the regions file's load) are on
        # the following pages.
        for number in (2, 3):
            url = reverse("audit:list") + f"?page={number}"
            read_answer(f"{persona} GET {url}", client.get(url), seen)
    return answered


def test_no_page_or_answer_turns_registry_text_into_markup(city: City) -> None:
    seen = Seen()
    answered = _sweep(city, seen)
    unanswered = sorted(n for n, r in ROUTES.items() if "GET" in r.methods and n not in answered | NEEDS_QUERY)
    unseen = sorted(label for label, value in city.planted.items() if not seen.displays(value))
    assert (seen.problems, unanswered, unseen) == ([], [], []), (
        "markup from data:\n"
        + "\n".join(seen.problems)
        + f"\nroutes no persona could open (the sweep did not look at them): {unanswered}"
        + f"\nplanted strings no answer showed verbatim: {unseen}"
    )


# What a user types into every box of every form: all payloads at once.
FORM_TEXT = hostile("form", 1000)
FORM_PERSONAS = ("operator_damai", "dinsos_manager", "admin_user")


def _read_with_redirect(where: str, client: Client, response: Any, seen: Seen) -> None:
    read_answer(where, response, seen)
    location = response.get("Location", "") if response.status_code in (301, 302, 303) else ""
    if location.startswith("/"):
        read_answer(f"{where} → {location}", client.get(location), seen)


def test_forms_show_what_was_typed_as_text_and_store_it_as_text(city: City) -> None:
    """Every form of every page, filled with the payloads and sent: the answer (an error next to the
    field, a message, the next page) shows them as text; what the forms stored is then swept too."""
    seen = Seen()
    sent: list[str] = []
    done: set[str] = set()
    for persona in FORM_PERSONAS:
        client = _client(city.users[persona])
        for name, route in ROUTES.items():
            if "GET" not in route.methods or route.api:
                continue
            url = reverse(name, kwargs=route.kwargs(city.world))
            page = client.get(url)
            if page.status_code != 200 or not page["Content-Type"].startswith("text/html"):
                continue
            for form in forms_of(page.content.decode()):
                target = form.action or url
                if not form.takes_text or target == reverse("logout") or f"{persona}:{target}" in done:
                    continue
                if target == reverse("set_language"):  # on every page: once is enough
                    done.add(f"{persona}:{target}")
                data = form.filled(FORM_TEXT)
                send = client.post if form.method == "post" else client.get
                _read_with_redirect(
                    f"{persona} {form.method} {target} (form of {url})", client, send(target, data), seen
                )
                sent.append(f"{name}:{form.method}:{target}")
    anonymous = Client()
    login = reverse("login")
    read_answer("anonymous GET login?next=", anonymous.get(login, {"next": FORM_TEXT}), seen)
    for form in forms_of(anonymous.get(login).content.decode()):
        read_answer("anonymous POST login", anonymous.post(form.action or login, form.filled(FORM_TEXT)), seen)
    assert len(sent) >= 20, sent  # the forms were found and sent
    assert seen.displays(FORM_TEXT), "no answer echoed what was typed: the forms were not exercised"
    _sweep(city, seen)
    assert not seen.problems, "markup from data:\n" + "\n".join(dict.fromkeys(seen.problems))


def test_htmx_partials_escape_what_they_swap_in(city: City) -> None:
    """The fragments htmx swaps into a page (the revealed NIK, a job's progress with its log and
    error) are escaped like whole pages; the job's error quotes the upload's hostile name."""
    seen = Seen()
    client = _client(city.users["operator_damai"])
    household = city.world.damai
    for member in household.members.all():
        url = reverse("registry:reveal_nik", kwargs={"pk": household.pk, "member_pk": member.pk})
        response = client.post(url, headers={"HX-Request": "true"})
        assert response.status_code == 200
        read_answer(f"POST {url}", response, seen)
    for job in (city.world.job, city.failed_job):
        url = reverse("jobs:detail", kwargs={"pk": job.pk})
        for headers in ({"HX-Request": "true"}, {}):
            response = client.get(url, headers=headers)
            assert response.status_code == 200
            read_answer(f"GET {url} {headers}", response, seen)
    assert not seen.problems, "\n".join(seen.problems)
    assert seen.displays(HOSTILE_FILE_NAME) and seen.displays(SCRIPT)  # the error and the log line


def test_messages_that_quote_data_show_it_as_text(city: City, regions: dict[str, Any]) -> None:
    """Success and refusal messages built from data (an event, a rule's name, a kelurahan's name, a
    programme's name) reach the page as text."""
    from entas.registry import services as registry
    from entas.targeting.models import EligibilityRule
    from tests.security.xss import TODAY

    seen = Seen()
    operator, manager = _client(city.users["operator_damai"]), _client(city.users["dinsos_manager"])
    household, programme = city.world.damai, city.world.programme
    event = hostile("typed event", 120, 1)
    posts = [
        (
            operator,
            reverse("programs:affected"),
            {"kk_number": household.kk_number, "event": event, "kind": "disaster"},
        ),
        (
            operator,
            reverse("targeting:overrides"),
            {
                "rule": EligibilityRule.objects.get().pk,
                "kk_number": household.kk_number,
                "action": "remove",
                "reason": FORM_TEXT,
                "berita_acara": LINK,
                "decided_on": TODAY.isoformat(),
            },
        ),
    ]
    registry.verify_household(actor=city.users["operator_damai"], household=household, visit_date=TODAY, confirmed=True)
    posts.append((manager, reverse("registry:ratification"), {"kelurahan": household.kelurahan_id, "confirm": "1"}))
    # A programme whose shock mode ended refuses a new cycle, naming the programme.
    type(programme).objects.filter(pk=programme.pk).update(shock_until=TODAY.replace(year=2020))
    posts.append(
        (manager, reverse("programs:detail", kwargs={"pk": programme.pk}), {"create_cycle": "1", "period": "2026-07"})
    )
    for client, url, data in posts:
        response = client.post(url, data, follow=True)
        assert response.status_code == 200
        read_answer(f"POST {url}", response, seen)
        assert list(response.context["messages"]), f"{url} answered no message"
    assert not seen.problems, "\n".join(seen.problems)
    for value in (event, household.kelurahan.name, programme.name, EligibilityRule.objects.get().name):
        assert seen.displays(value), value


def test_a_return_address_never_becomes_a_script_url(operator_damai: User) -> None:
    """``next`` after logging in or switching language is a link the site follows: a script URL is
    dropped, whoever offers it."""
    seen = Seen()
    client = Client()
    response = client.post(
        reverse("login") + f"?next={LINK}",
        {"username": operator_damai.username, "password": "correct-horse-battery", "next": LINK},
    )
    assert response.status_code == 302
    read_answer("POST login next=javascript:", response, seen)
    response = client.post(reverse("set_language"), {"language": "en", "next": LINK})
    read_answer("POST set_language next=javascript:", response, seen)
    assert not seen.problems, seen.problems


def test_the_administration_shows_the_city_as_text(city: City) -> None:
    """The Django admin (read-only for domain data) lists and shows the hostile records escaped."""
    from django.contrib import admin

    seen = Seen()
    client = _client(city.users["admin_user"])
    read_answer("GET /admin/", client.get(reverse("admin:index")), seen)
    for model in admin.site._registry:
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        read_answer(f"GET {changelist}", client.get(changelist), seen)
        for obj in model._default_manager.order_by("-pk")[:3]:
            change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
            read_answer(f"GET {change}", client.get(change), seen)
    assert not seen.problems, "\n".join(dict.fromkeys(seen.problems))
    for label in ("kelurahan", "edited address", "member 0", "programme", "operator first name", "audit object"):
        assert seen.displays(city.planted[label]), label


def test_the_api_answers_valid_json_whatever_it_is_sent(city: City) -> None:
    """Every API route, sent the payloads (as a search, a reason, a period, a path's step): a JSON
    answer that parses, with the stored text round-tripped exactly; a reason the API stored is then
    shown by the pair's page as text."""
    seen = Seen()
    client = _client(city.users["dinsos_manager"])
    for name, route in ROUTES.items():
        if not route.api:
            continue
        url = reverse(name, kwargs=route.kwargs(city.world))
        if "GET" in route.methods:
            read_answer(f"GET {url}?q=", client.get(url, {"q": FORM_TEXT, "within": FORM_TEXT}), seen)
        if "POST" in route.methods:
            # Every text of the route's probe (a pair's reason) and a cycle's period are payloads.
            body = {**route.data, **{k: FORM_TEXT for k in route.data if k != "decision"}, "period": FORM_TEXT}
            read_answer(f"POST {url}", client.post(url, body, content_type="application/json"), seen)
            read_answer(f"POST {url} (not JSON)", client.post(url, FORM_TEXT, content_type="application/json"), seen)
    household = client.get(reverse("api:get_household", kwargs={"household_id": city.world.damai.pk})).json()
    assert household["address"] == city.planted["edited address"]
    assert {m["name"] for m in household["members"]} >= {city.planted["member 1"], city.planted["member 2"]}
    page = client.get(reverse("dedup:pair", kwargs={"pk": city.world.pair.pk}))
    read_answer("the pair after the API's decision", page, seen)
    assert not seen.problems, "\n".join(seen.problems)
    assert seen.displays(FORM_TEXT)  # the reason sent through the API, on the pair's page


def test_printed_lists_take_names_as_text_not_markup(city: City) -> None:
    """ReportLab reads paragraph text as mini-markup: a kelurahan named ``<script>…`` must print as
    those characters (escaped), not break the PDF of the ratified list."""
    from entas.registry import services as registry
    from tests.helpers import pdf_text
    from tests.security.xss import TODAY

    household = city.world.damai
    registry.verify_household(actor=city.users["operator_damai"], household=household, visit_date=TODAY, confirmed=True)
    registry.ratify_kelurahan(actor=city.users["dinsos_manager"], kelurahan_id=household.kelurahan_id)
    url = reverse("registry:ratified_list", kwargs={"kelurahan_code": household.kelurahan.code, "fmt": "pdf"})
    response = _client(city.users["operator_damai"]).get(url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    text = pdf_text(body_of(response))
    assert "<script>alert\\(1\\)</script>" in text  # PDF strings escape parentheses


def test_page_links_repeat_the_query_url_encoded(auditor: User) -> None:
    """The links to the previous and next page repeat the filters as they were: a parameter's name
    is URL-encoded like its value (HTML escaping alone let ``a&b`` split into two parameters)."""
    from urllib.parse import parse_qs, urlsplit

    from entas.core import audit

    for i in range(51):
        audit.record(actor=None, action="probe.event", object_repr=f"#{i}")
    query = {"action": "probe.", "object": "#", "x&action=user.": "<1 & 2>", "region": ""}
    page = _client(auditor).get(reverse("audit:list"), query)
    hrefs = [a for a in links_of(page.content.decode()) if "page=" in a]
    assert hrefs, "no link to the next page"
    assert parse_qs(urlsplit(hrefs[0]).query, keep_blank_values=True) == {
        **{k: [v] for k, v in query.items()},
        "page": ["2"],
    }


def links_of(html: str) -> list[str]:
    """The href of every link of a page (decoded as a browser would)."""
    from html.parser import HTMLParser

    hrefs: list[str] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "a":
                hrefs.extend(v or "" for k, v in attrs if k == "href")

    Links(convert_charrefs=True).feed(html)
    return hrefs


# -- the reader itself ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page",
    [
        f"<p>{SCRIPT}</p>",
        f"<p>x{IMG}</p>",
        f'<input value="{IMG}">',
        f"<textarea>{TEXTAREA}</textarea>",
        f'<a href="{LINK}">x</a>',
        '<a href=" JavaScript:alert(1)">x</a>',
        f'<script id="spec" type="application/json">{{"name": "{BREAKOUT}"}}</script>',
        '<script id="spec" type="application/json">{"name": </script>',
        "<p><x>1</x></p>",
    ],
)
def test_the_reader_sees_markup_that_came_from_data(page: str) -> None:
    seen = Seen()
    read_answer("page", _html(page), seen)
    assert seen.problems


def test_the_reader_accepts_escaped_text_and_json_script() -> None:
    from django.utils.html import escape, json_script

    seen = Seen()
    payloads = [SCRIPT, IMG, TEXTAREA, BREAKOUT]
    body = "".join(f'<p>{escape(p)}</p><input value="{escape(p)}"><textarea>{escape(p)}</textarea>' for p in payloads)
    body += str(json_script({"values": payloads}, "spec")) + '<script src="/static/x.js" defer></script>'
    body += f'<a href="/?next={escape(LINK)}">x</a>'
    read_answer("page", _html(body), seen)
    assert seen.problems == []
    assert all(seen.displays(p) for p in payloads)


def _html(body: str) -> Any:
    from django.http import HttpResponse

    response = HttpResponse(f"<!doctype html><html><body>{body}</body></html>")
    response["X-Content-Type-Options"] = "nosniff"
    return response
