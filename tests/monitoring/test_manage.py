"""Managing indicators on pages (the indicator file, official values and their confirmation) and the
module sources registered from outside monitoring (payments, enterprise groups, complaints)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from entas.accounts.models import User
from entas.core.models import AuditEvent
from entas.monitoring import engine, sources
from entas.monitoring.models import Fact, Indicator, OfficialValue
from tests.conftest import DAMAI, MANGGAR, make_household
from tests.helpers import english_client

pytestmark = pytest.mark.django_db

URL = reverse("monitoring:indicators")

GOOD = b"""
indicators:
  - code: tpt-bps
    name: Tingkat Pengangguran Terbuka
    kind: official
    period_type: year
    values:
      - {area: "64.71", period: "2024", value: 5.9, source: "BPS rilis", confirmed: false}
  - code: pbi-all
    name: Penduduk dengan PBI
    kind: registry
    unit: members
    numerator: pbi
"""


def upload(client: Client, content: bytes, name: str = "indikator.yaml") -> Any:
    return client.post(URL, {"file": SimpleUploadedFile(name, content)})


def test_an_indicator_file_is_loaded_from_the_page(
    regions: Any, client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    client = english_client(client_for, tkpk_analyst)
    answer = upload(client, GOOD)
    assert answer.status_code == 302
    assert set(Indicator.objects.values_list("code", flat=True)) == {"tpt-bps", "pbi-all"}
    value = OfficialValue.objects.get()
    assert (value.value, value.confirmed, value.source) == (5.9, False, "BPS rilis")
    page = client.get(URL).content.decode()
    assert "tpt-bps" in page and "Load the file" in page
    assert AuditEvent.objects.filter(action="monitoring.indicators_loaded", actor=tkpk_analyst).exists()


def test_a_wrong_indicator_file_lists_every_problem_with_its_place_and_loads_nothing(
    regions: Any, client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    bad = b"""
indicators:
  - code: a
    name: A
    kind: registry
    numerator: desil <= 4 and
  - code: b
    name: B
    kind: source
    source: nowhere.nothing
alerts:
  - {indicator: zzz, kind: sometimes}
"""
    page = upload(english_client(client_for, tkpk_analyst), bad)
    assert page.status_code == 200
    problems = page.context["problems"]
    places = [place for place, _message in problems]
    assert "indicators[1] a" in places and "indicators[2] b" in places and "alerts[1]" in places
    assert any("nowhere.nothing" in message for _place, message in problems)
    assert not Indicator.objects.exists()
    html = page.content.decode()
    assert 'id="problems"' in html and "unknown source" in html


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"indicators:\n  - code: a\n    name: [unclosed\n", "line 4, column 1"),
        (b"a: &x [1, 2]\nb: *x\n", "aliases"),
        (b"- just\n- a list\n", "YAML mapping"),
    ],
)
def test_a_file_that_is_not_an_indicator_mapping_is_refused_with_its_place(
    regions: Any, client_for: Callable[[User], Client], tkpk_analyst: User, content: bytes, expected: str
) -> None:
    page = upload(english_client(client_for, tkpk_analyst), content)
    assert page.status_code == 200
    assert expected in page.content.decode()
    assert not Indicator.objects.exists()


def test_an_official_value_is_entered_with_its_source_and_confirmed(
    regions: Any, client_for: Callable[[User], Client], tkpk_analyst: User, auditor: User
) -> None:
    from entas.monitoring import services

    indicator, _state = services.define_indicator(
        spec={"code": "tpt-bps", "name": "TPT", "kind": "official", "period_type": "year"}, actor=None
    )
    url = reverse("monitoring:official_values", args=["tpt-bps"])
    client = english_client(client_for, tkpk_analyst)
    refused = client.post(url, {"action": "enter", "area": "64.71", "period": "2024x", "value": "5.9", "source": "BPS"})
    assert refused.status_code == 200 and "is not a year" in refused.content.decode()
    answer = client.post(
        url, {"action": "enter", "area": "64.71", "period": "2024", "value": "5.9", "source": "BPS Sakernas"}
    )
    assert answer.status_code == 302
    row = OfficialValue.objects.get(indicator=indicator)
    assert (row.period, row.value, row.source, row.confirmed) == ("2024", 5.9, "BPS Sakernas", False)
    page = client.get(url).content.decode()
    assert "not confirmed" in page and 'name="action" value="confirm"' in page
    assert client.post(url, {"action": "confirm", "value": row.pk}).status_code == 302
    row.refresh_from_db()
    assert row.confirmed
    assert AuditEvent.objects.filter(action="monitoring.official_value_confirm", actor=tkpk_analyst).count() == 1
    engine.refresh(full=True)
    fact = Fact.objects.get(indicator=indicator, area__code="64.71", period="2024")
    assert fact.value == 5.9 and fact.confirmed
    # The auditor reads the series but enters nothing.
    reader = english_client(client_for, auditor)
    assert reader.get(url).status_code == 200
    assert 'name="action" value="enter"' not in reader.get(url).content.decode()
    assert reader.post(url, {"action": "confirm", "value": row.pk}).status_code == 403


def test_payments_reconciled_within_14_days(regions: Any) -> None:
    from entas.programs.models import Cycle, Entitlement, Payment
    from tests.helpers import make_programme

    programme = make_programme(None)
    now = timezone.now()
    households = [make_household(regions[MANGGAR], f"647101010120{i:04d}", members=1) for i in range(3)]
    households.append(make_household(regions[DAMAI], "6471060101200099", members=1))

    def cycle_with_payments(number: int, issued: dt.datetime, reconciled_after: dt.timedelta | None) -> None:
        cycle = Cycle.objects.create(programme=programme, number=number, period=f"{issued:%Y-%m}")
        for h in households:
            entitlement = Entitlement.objects.create(cycle=cycle, household=h, amount=100)
            Payment.objects.create(
                entitlement=entitlement, reference=f"R{number}-{h.pk}", amount=100, status="paid", created_at=issued
            )
        if reconciled_after is not None:
            # A first, partial reconciliation does not count; the one that reconciled the cycle does.
            AuditEvent.objects.create(
                action="cycle.reconcile",
                object_type="programs.cycle",
                object_id=str(cycle.pk),
                at=issued + dt.timedelta(days=1),
                after={"reconciled": False},
            )
            AuditEvent.objects.create(
                action="cycle.reconcile",
                object_type="programs.cycle",
                object_id=str(cycle.pk),
                at=issued + reconciled_after,
                after={"reconciled": True},
            )

    cycle_with_payments(1, now - dt.timedelta(days=90), dt.timedelta(days=10))  # on time
    cycle_with_payments(2, now - dt.timedelta(days=60), dt.timedelta(days=20))  # late
    cycle_with_payments(3, now - dt.timedelta(days=40), None)  # never reconciled: late
    cycle_with_payments(4, now - dt.timedelta(days=3), None)  # not due yet: not counted
    rows = sources.get("programs.reconciled_14d").rows()  # type: ignore[union-attr]
    manggar = sum(n for kel, _p, n, _d in rows if kel == regions[MANGGAR].pk)
    manggar_all = sum(d for kel, _p, _n, d in rows if kel == regions[MANGGAR].pk)
    assert (manggar, manggar_all) == (3, 9)
    assert sum(d for _k, _p, _n, d in rows) == 12


def test_enterprise_and_portal_register_their_sources_from_their_apps(regions: Any) -> None:
    from entas.enterprise.models import Grant, Group
    from entas.portal.models import Case

    assert {"enterprise.survival_24m", "portal.resolved_on_time", "programs.reconciled_14d"} <= set(sources.names())
    today = timezone.localdate()
    long_ago = today - dt.timedelta(days=3 * 365)
    for name, closed in (("A", None), ("B", long_ago + dt.timedelta(days=200)), ("C", None)):
        group = Group.objects.create(
            name=name, type="kube", kbli="10792", kelurahan=regions[MANGGAR], founded=long_ago, closed_on=closed
        )
        handed = long_ago if name != "C" else today - dt.timedelta(days=100)  # C: too recent to count
        Grant.objects.create(group=group, kind="cash", amount=1, handed_over_on=handed, handover_reference=name)
    rows = sources.get("enterprise.survival_24m").rows()  # type: ignore[union-attr]
    assert rows == [(regions[MANGGAR].pk, str(long_ago.year), 1.0, 2.0)]

    def case(ref: str, due: dt.date, resolved: dt.date | None, **extra: Any) -> None:
        Case.objects.create(
            reference=ref,
            code_digest=ref,
            category="other",
            severity="low",
            unit="dinsos",
            kelurahan=regions[DAMAI],
            description="x",
            fingerprint=ref,
            first_response_due=due,
            resolution_due=due,
            resolved_at=None if resolved is None else timezone.make_aware(dt.datetime.combine(resolved, dt.time(10))),
            **extra,
        )

    case("C1", today - dt.timedelta(days=5), today - dt.timedelta(days=6))  # on time
    case("C2", today - dt.timedelta(days=5), today - dt.timedelta(days=1))  # late
    case("C3", today - dt.timedelta(days=5), None)  # overdue
    case("C4", today + dt.timedelta(days=5), None)  # not due: not counted
    case("C5", today - dt.timedelta(days=5), None, spam=True)  # spam: not counted
    rows = sources.get("portal.resolved_on_time").rows()  # type: ignore[union-attr]
    assert sum(n for *_x, n, _d in rows) == 1 and sum(d for *_x, d in rows) == 3


def test_the_command_loads_a_file_and_names_a_yaml_problem_by_line(
    regions: Any, tkpk_analyst: User, tmp_path: Any
) -> None:
    import json
    from io import StringIO

    from django.core.management import CommandError, call_command

    good = tmp_path / "i.yaml"
    good.write_bytes(GOOD)
    out = StringIO()
    call_command("indicator", "load", str(good), "--as", "tkpk", "--json", stdout=out)
    assert json.loads(out.getvalue())["created"] == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("indicators:\n  - code: a\n    name: [unclosed\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 4"):
        call_command("indicator", "load", str(bad), "--as", "tkpk")
