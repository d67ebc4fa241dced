"""No page of the demo opens empty: on the city ``make demo`` builds (smaller), every demo user opens
their home page and every page of their menu, and each answers 200 without an empty state.

A module that adds a menu entry is checked here without being named: the menu is read from
``entas.core.navigation``. A page that may honestly be empty for a role says why in ``EXCUSED``."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from entas.accounts.demo import DEMO_USERS
from entas.accounts.models import User
from entas.core import jobqueue, navigation
from entas.core.models import Job

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

# (username, url name): why that page may show an empty state in the demo.
EXCUSED: dict[tuple[str, str], str] = {
    ("mitra", "home"): "a partner has no area; it sees the programmes it funds (the partner portal, issue #21)",
    ("mitra", "jobs:list"): "a partner starts no job",
    ("auditor", "jobs:list"): "an auditor starts no job; the audit trail lists every export and import",
    **{
        (operator, "dedup:queue"): "600 families with 1 % faults plant about 20 duplicates in 34 kelurahan, often "
        "none in a given one; at make demo's 250,000 every kelurahan has dozens (the city-wide users' queue is checked)"
        for operator in ("op.manggar", "op.damai", "op.sepinggan")
    },
    ("bappeda", "jobs:list"): "the register's second editor has started no import or export in the demo",
    ("admin", "policy:funded"): "the administrator funds nothing: it is the partners' page (mitra's is populated)",
    ("admin", "participation:portal"): "the administrator is no partner (mitra's portal is populated)",
    ("pelatihan", "jobs:list"): "the training officer's imports and exports come with the training module (#18)",
}
EMPTY = re.compile(r'class="[^"]*\bempty\b[^"]*"[^>]*>(.*?)<', re.S)


def test_every_demo_user_finds_every_page_of_their_menu_populated(settings: Any) -> None:
    settings.DEBUG = True  # seed_demo refuses to run on a production setup
    call_command("seed_demo", "--households", "600", "--faults", "0.01", "--json", stdout=StringIO())
    for pk in Job.objects.filter(status=Job.Status.QUEUED).values_list("pk", flat=True):
        assert jobqueue.execute(pk).status == Job.Status.SUCCEEDED  # what `make demo`'s worker does
    problems: list[str] = []
    seen = 0
    for username, *_rest in DEMO_USERS:
        user = User.objects.get(username=username)
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        for url_name in dict.fromkeys(["home", *(e.url_name for e in navigation.entries_for(user))]):
            response = client.get(reverse(url_name))
            seen += 1
            if response.status_code != 200:
                problems.append(f"{username} {url_name}: HTTP {response.status_code}")
                continue
            empty = [" ".join(m.split()) for m in EMPTY.findall(response.content.decode())]
            if empty and (username, url_name) not in EXCUSED:
                problems.append(f"{username} {url_name}: empty state {empty[:2]}")
    assert seen > len(DEMO_USERS) * 2
    assert not problems, "\n".join(problems)
    _the_official_series_compare_city_province_and_nation()  # on the same (slow to build) demo


def _the_official_series_compare_city_province_and_nation() -> None:
    """The demo enters the nation (region 00) and the open unemployment rate (TPT) of the city, the
    province and the nation (issues #23, #25): the RPKD's tables compare the three, and the official
    values page lists them with their sources and flags."""
    from django.utils import timezone

    from entas.monitoring.models import OfficialValue
    from entas.reports import builders, selectors

    entered = set(OfficialValue.objects.values_list("indicator__code", "area__code"))
    assert {("p0-bps", "00"), ("tpt-bps", "00"), ("tpt-bps", "64"), ("tpt-bps", "64.71")} <= entered
    assert OfficialValue.objects.filter(confirmed=False, source__contains="demo value").exists()
    analyst = User.objects.get(username="tkpk")
    today = timezone.localdate()
    inputs = selectors.rpkd_inputs(analyst, year=today.year, day=today)
    assert inputs["comparators"]["province_entered"] and inputs["comparators"]["national_entered"]
    rows = {r["name"]: r for r in inputs["sector_indicators"]}
    tpt = rows["Tingkat Pengangguran Terbuka (TPT) BPS"]
    p0 = rows["Persentase penduduk miskin (P0), angka resmi BPS"]
    for row in (tpt, p0):  # the latest year all three published, in the docs/examples files
        assert row["period"] == "2024" and None not in (row["city"], row["province"], row["national"]), row
    assert (tpt["sector"], tpt["city"], tpt["province"], tpt["national"]) == ("economy", 6.22, 5.14, 4.91)
    document = builders.rpkd_profile(inputs)
    economy = next(s for s in document.sections if s.key == "economy")
    table = next(b for b in economy.blocks if getattr(b, "key", "") == "sector_economy")
    assert not table.note  # no comparator is missing
    assert any(b.key == "trend_economy" for b in economy.blocks if hasattr(b, "spec"))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(analyst)
    page = client.get(reverse("monitoring:official_values", args=["tpt-bps"])).content.decode()
    assert "Indonesia (00)" in page and "Kalimantan Timur (64)" in page
    assert '<strong class="flag">' in page  # the unconfirmed values are flagged (in the user's language)
