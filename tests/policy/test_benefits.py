"""Who benefits from what: one timeline per household and per person across every programme kind, on
the household page and in the API, kept to the user's areas; and the register over the API."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.core.errors import Refused
from entas.core.models import AuditEvent
from entas.policy import selectors, services
from entas.policy.models import Benefit, Plan, ProgrammeRecord
from entas.programs.models import Cycle, Entitlement, Payment, Programme
from entas.registry.models import Household
from tests.helpers import english_client

pytestmark = pytest.mark.django_db


def _benefits(household: Household, actor: User) -> None:
    training = Programme.objects.get(name="Pelatihan Kerja Berbasis Kompetensi")
    food = Programme.objects.get(name="Pangan Murah dan Bantuan Pangan Keluarga Rawan")
    person = household.members.order_by("pk")[1]
    rows = [
        services.BenefitRow(training, household, person, dt.date(2026, 3, 2), "Pelatihan las", 1, "tempat", 4_500_000),
        services.BenefitRow(food, household, None, dt.date(2026, 5, 10), "Paket beras 10 kg", 2, "paket", 300_000),
    ]
    assert services.record_benefits(rows=rows, actor=actor) == {"inserted": 2, "unchanged": 0}
    assert services.record_benefits(rows=rows, actor=actor) == {"inserted": 0, "unchanged": 2}


def _pay(programme: Programme, household: Household) -> None:
    cycle = Cycle.objects.create(programme=programme, number=1, period="2026-12")
    entitlement = Entitlement.objects.create(cycle=cycle, household=household, amount=300_000)
    Payment.objects.create(
        entitlement=entitlement,
        reference="REF1",
        amount=300_000,
        status="paid",
        created_at=dt.datetime(2026, 12, 20, 3, tzinfo=dt.UTC),
    )


def test_the_timeline_joins_cash_payments_and_benefits_of_other_kinds(
    plan: Plan, cash_programme: Programme, damai_household: Household, tkpk_analyst: User
) -> None:
    _benefits(damai_household, tkpk_analyst)
    _pay(cash_programme, damai_household)
    timeline = selectors.benefit_timeline(damai_household)
    assert [(e.day, e.kind) for e in timeline] == [
        (dt.date(2026, 12, 20), "cash"),
        (dt.date(2026, 5, 10), "in_kind"),
        (dt.date(2026, 3, 2), "training"),
    ]
    person = damai_household.members.order_by("pk")[1]
    assert [e.what for e in selectors.benefit_timeline(damai_household, person)] == ["Pelatihan las"]
    assert AuditEvent.objects.filter(action="policy.benefit").count() == 2


def test_benefits_are_recorded_by_the_lead_opds_officers_only_and_never_for_cash(
    plan: Plan, cash_programme: Programme, damai_household: Household, disnaker_officer: User
) -> None:
    training = Programme.objects.get(name="Pelatihan Kerja Berbasis Kompetensi")
    housing = Programme.objects.get(name="Bedah Rumah (Rehabilitasi RTLH)")
    row = services.BenefitRow(training, damai_household, None, dt.date(2026, 3, 2), "Pelatihan las")
    assert services.record_benefits(rows=[row], actor=disnaker_officer)["inserted"] == 1
    for programme in (housing, cash_programme):  # another OPD's; a cash transfer
        with pytest.raises(Refused):
            services.record_benefits(
                rows=[services.BenefitRow(programme, damai_household, None, dt.date(2026, 3, 2), "x")],
                actor=disnaker_officer,
            )
    assert Benefit.objects.count() == 1


def test_the_household_page_and_the_api_show_the_timeline_within_the_users_areas(
    plan: Plan,
    damai_household: Household,
    tkpk_analyst: User,
    operator_damai: User,
    operator_manggar: User,
    client_for: Callable[[User], Client],
) -> None:
    _benefits(damai_household, tkpk_analyst)
    client = english_client(client_for, operator_damai)
    page = client.get(reverse("registry:household_detail", args=[damai_household.pk])).content.decode()
    assert "Benefit timeline" in page and "Paket beras 10 kg" in page
    answer = client.get(f"/api/v1/benefits/{damai_household.pk}/benefits").json()
    assert [a["kind"] for a in answer] == ["in_kind", "training"] and answer[0]["amount"] == 300_000
    person = damai_household.members.order_by("pk")[1].pk
    assert len(client.get(f"/api/v1/benefits/{damai_household.pk}/benefits?member={person}").json()) == 1
    outsider = client_for(operator_manggar)
    assert outsider.get(f"/api/v1/benefits/{damai_household.pk}/benefits").status_code == 404


def test_the_register_over_the_api_with_maker_checker(
    plan: Plan, tkpk_analyst: User, bappeda: User, auditor: User, client_for: Callable[[User], Client]
) -> None:
    maker, checker = client_for(tkpk_analyst), client_for(bappeda)
    register = maker.get("/api/v1/policy/register?as_of=2029-12-31").json()
    assert register["plan"]["code"] == "RPKD-2025-2029"
    assert register["money"]["budget"] == sum(s["money"]["budget"] for s in register["strategies"])
    record = ProgrammeRecord.objects.get(code="P3.2")
    proposed = maker.post(
        f"/api/v1/policy/programmes/{record.pk}/adjustments",
        json.dumps({"field": "funding.apbn", "value": "7000000000", "reason": "Tambahan DAK air minum"}),
        content_type="application/json",
    )
    assert proposed.status_code == 201, proposed.content
    pk = proposed.json()["id"]
    own = maker.post(f"/api/v1/policy/adjustments/{pk}/decision", '{"approve": true}', content_type="application/json")
    assert own.status_code == 403 and own.json()["code"] == "forbidden"
    assert (
        client_for(auditor)
        .post(f"/api/v1/policy/adjustments/{pk}/decision", '{"approve": true}', content_type="application/json")
        .status_code
        == 403
    )
    ok = checker.post(f"/api/v1/policy/adjustments/{pk}/decision", '{"approve": true}', content_type="application/json")
    assert ok.json()["state"] == "approved"
    shown = checker.get(f"/api/v1/policy/programmes/{record.pk}").json()
    assert shown["funding.apbn"] == 7_000_000_000 and shown["adjustments"][0]["state"] == "approved"


def test_the_programme_counts_the_households_and_people_it_reached(
    plan: Plan, cash_programme: Programme, damai_household: Household, manggar_household: Household, tkpk_analyst: User
) -> None:
    _benefits(damai_household, tkpk_analyst)
    _benefits_for_another(manggar_household, tkpk_analyst)
    _pay(cash_programme, damai_household)
    training = ProgrammeRecord.objects.get(code="P2.1")
    assert selectors.beneficiaries(training, dt.date(2026, 12, 31)) == {"households": 2, "people": 1}
    assert selectors.beneficiaries(training, dt.date(2026, 3, 1)) == {"households": 0, "people": 0}
    cash = ProgrammeRecord.objects.get(programme=cash_programme)
    assert selectors.beneficiaries(cash, dt.date(2026, 12, 31))["paid"] == 1


def _benefits_for_another(household: Household, actor: User) -> None:
    training = Programme.objects.get(name="Pelatihan Kerja Berbasis Kompetensi")
    row = services.BenefitRow(training, household, None, dt.date(2026, 4, 1), "Pelatihan las (keluarga)")
    services.record_benefits(rows=[row], actor=actor)


def test_a_list_of_benefits_is_imported_with_row_level_accounting(
    plan: Plan,
    damai_household: Household,
    manggar_household: Household,
    disnaker_officer: User,
    tmp_path: Any,
    settings: Any,
) -> None:
    from io import StringIO
    from pathlib import Path

    from django.core.management import call_command

    settings.MEDIA_ROOT = str(tmp_path / "media")
    nik = damai_household.members.order_by("pk")[1].nik
    path = tmp_path / "peserta.csv"
    path.write_text(
        "programme,kk_number,nik,date,what,quantity,unit,value\n"
        f"P2.1,{damai_household.kk_number},{nik},2026-03-02,Pelatihan las,1,tempat,4.500.000\n"
        f"Pelatihan Kerja Berbasis Kompetensi,{manggar_household.kk_number},,2026-03-02,Pelatihan las,1,tempat,\n"
        f"P2.1,{damai_household.kk_number},{nik},2026-03-02,Pelatihan las,1,tempat,4.500.000\n"  # twice
        f"P3.1,{damai_household.kk_number},,2026-03-02,Bedah rumah,1,unit,\n"  # another OPD's programme
        f"P1.1,{damai_household.kk_number},,2026-03-02,BLT,1,,\n"  # a cash transfer
        f"P2.1,6471069999999999,,2026-03-02,Pelatihan las,1,,\n"  # no such family
        f"P2.1,{damai_household.kk_number},3171010101800001,2026-03-02,Pelatihan las,1,,\n"  # not a member
        f"P2.1,{damai_household.kk_number},,2026-13-02,Pelatihan las,1,,\n",  # not a date
        encoding="utf-8",
    )

    def run() -> dict[str, Any]:
        out = StringIO()
        call_command("policy", "benefits", str(path), "--as", disnaker_officer.username, "--json", stdout=out)
        return json.loads(out.getvalue())

    first = run()
    assert (first["total"], first["inserted"], first["unchanged"], first["rejected"]) == (8, 2, 0, 6)
    reasons = Path(first["rejection_file"]).read_text(encoding="utf-8-sig")
    assert "twice" in reasons and "may not record" in reasons and "cash transfer" in reasons
    assert "No family" in reasons and "not a member" in reasons and "not a date" in reasons
    assert Benefit.objects.get(household=damai_household).member.nik == nik  # type: ignore[union-attr]
    again = run()
    assert (again["inserted"], again["unchanged"], again["rejected"]) == (0, 2, 6)


def test_the_reach_of_a_programme_counts_what_the_delivery_apps_keep_once(
    plan: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    from entas.policy import selectors
    from entas.policy.models import ProgrammeRecord

    record = ProgrammeRecord.objects.select_related("programme").get(code="P2.1")
    pid = record.programme_id
    delivered = [(pid, 1, 10), (pid, 1, 11), (pid, 2, None), (pid + 10_000, 3, 30)]  # two people of one family

    def provider(ids: list[int], day: dt.date) -> list[tuple[int, int, int | None]]:
        return [row for row in delivered if row[0] in ids]

    monkeypatch.setattr(selectors, "_REACH_SOURCES", {"probe": provider, "again": provider})
    assert selectors.beneficiaries(record, dt.date(2026, 1, 1)) == {"households": 2, "people": 2}
