"""Shock mode: affected households reported by kelurahan operators, a programme opened for one event
with a simplified rule and a time limit, and its beneficiaries still checked against duplicates and
mutually exclusive programmes."""

from __future__ import annotations

import csv
import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from entas.accounts.models import User
from entas.core.errors import Refused
from entas.programs import services
from entas.programs.models import Enrolment, Programme, ShockFlag
from entas.registry.models import Household, Member
from entas.targeting import services as targeting
from tests.conftest import MANGGAR
from tests.helpers import city_files, make_pair

pytestmark = pytest.mark.django_db
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "blt-shock.yaml"
EVENT = "Banjir Januari 2027"


@pytest.fixture
def city(regions: Any, tmp_path: Path) -> None:
    from entas.registry.importer import import_registry

    import_registry(
        city_files(households=600, seed=13, survey_size=10) / "registry.csv",
        actor=None,
        rejection_path=tmp_path / "r.csv",
    )


def shock_programme(**extra: Any) -> Programme:
    rule = targeting.save_rule(actor=None, name="Darurat", expression="size >= 1", benefit=600_000)
    values = {
        "name": "BLT Darurat",
        "agency": "Dinas Sosial",
        "funding": "apbd",
        "start": dt.date(2027, 1, 15),
        "end": dt.date(2027, 4, 15),
        "rule": rule,
        "base_amount": 600_000,
        "budget_ceiling": 10**10,
        "channel": "pos",
        "shock_event": EVENT,
        "shock_until": dt.date.today() + dt.timedelta(days=30),
        **extra,
    }
    return Programme.objects.create(**values)


def test_only_flagged_households_are_enrolled(city: None, dinsos_manager: User, operator_manggar: User) -> None:
    manggar = list(Household.objects.filter(kelurahan__code=MANGGAR).order_by("pk")[:3])
    for h in manggar:
        services.flag_affected(household=h, event=EVENT, kind="disaster", note="rumah terendam", actor=operator_manggar)
    outside = Household.objects.exclude(kelurahan__code=MANGGAR).first()
    assert outside is not None
    with pytest.raises(Refused, match="your own areas"):
        services.flag_affected(household=outside, event=EVENT, kind="disaster", actor=operator_manggar)
    with pytest.raises(Refused, match="Unknown kind"):
        services.flag_affected(household=manggar[0], event=EVENT, kind="flood", actor=operator_manggar)
    programme = shock_programme()
    result = services.enrol(programme=programme, actor=dinsos_manager)
    assert result["enrolled"] == 3 and result["total_enrolled"] == 3
    enrolled = set(Enrolment.objects.filter(programme=programme).values_list("household_id", flat=True))
    assert enrolled == {h.pk for h in manggar}


def test_the_time_limit_closes_enrolment_and_new_cycles(city: None, dinsos_manager: User) -> None:
    programme = shock_programme(shock_until=dt.date.today() - dt.timedelta(days=1))
    with pytest.raises(Refused, match=r"shock mode .* ended"):
        services.enrol(programme=programme, actor=dinsos_manager)
    with pytest.raises(Refused, match="ended"):
        services.create_cycle(programme=programme, period="2027-02", actor=dinsos_manager)


def test_duplicates_and_exclusive_programmes_are_held_back_then_released(
    city: None, dinsos_manager: User, operator_manggar: User
) -> None:
    a, b, c = Household.objects.filter(kelurahan__code=MANGGAR).order_by("pk")[:3]
    for h in (a, b, c):
        services.flag_affected(household=h, event=EVENT, kind="lost_income", actor=operator_manggar)
    regular = Programme.objects.create(
        name="BLT reguler",
        agency="Dinas Sosial",
        funding="apbd",
        start=dt.date(2026, 12, 1),
        end=dt.date(2027, 5, 31),
        rule=targeting.save_rule(actor=None, name="Reguler", expression="size >= 1", benefit=300_000),
        base_amount=300_000,
        budget_ceiling=10**10,
        channel="bank",
    )
    Enrolment.objects.create(programme=regular, household=c, state=Enrolment.State.ENROLLED)
    programme = shock_programme()
    programme.exclusive_with.add(regular)
    person = Member.objects.filter(household=a).first()
    elsewhere = Member.objects.exclude(household__in=[a, b, c]).first()
    pair = make_pair(person, elsewhere)
    result = services.enrol(programme=programme, actor=dinsos_manager)
    states = dict(Enrolment.objects.filter(programme=programme).values_list("household_id", "state"))
    assert states == {a.pk: "duplicate", b.pk: "enrolled", c.pk: "not_eligible"}
    assert result["held_duplicate"] == 1 and result["held_exclusive"] == 1
    reason = Enrolment.objects.get(programme=programme, household=c).reason
    assert "BLT reguler" in reason
    from entas.dedup import services as dedup

    dedup.decide(pair=pair, decision="different", reason="two people", actor=dinsos_manager)
    again = services.enrol(programme=programme, actor=dinsos_manager)
    assert again["enrolled"] == 1
    assert Enrolment.objects.get(programme=programme, household=a).state == "enrolled"


def test_the_command_line_flags_from_a_file_and_loads_the_example(
    city: None, dinsos_manager: User, operator_manggar: User, tmp_path: Path
) -> None:
    manggar = list(Household.objects.filter(kelurahan__code=MANGGAR).order_by("pk")[:2])
    path = tmp_path / "affected.csv"
    with path.open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["kk_number", "kind", "note"])
        w.writerow([manggar[0].kk_number, "disaster", "banjir"])
        w.writerow([manggar[1].kk_number, "", ""])
        w.writerow(["0000000000000000", "disaster", ""])
    out = StringIO()
    call_command(
        "program",
        "flag",
        "--event",
        EVENT,
        "--file",
        str(path),
        "--as",
        operator_manggar.username,
        "--json",
        stdout=out,
    )
    result = json.loads(out.getvalue())
    assert result["flagged"] == 2 and result["refused"][0]["line"] == 4
    assert ShockFlag.objects.get(household=manggar[1]).kind == "lost_income"  # the default kind
    call_command("program", "load", str(EXAMPLE), "--as", dinsos_manager.username, stdout=StringIO())
    programme = Programme.objects.get(name="BLT Darurat Banjir Januari 2027")
    assert programme.shock_event == EVENT and programme.shock_until == dt.date(2027, 4, 15)
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("exclusive_with: []", "exclusive_with: [Tidak Ada]"))
    with pytest.raises(CommandError, match="exclusive_with names no programme: Tidak Ada"):
        call_command("program", "load", str(bad), "--as", dinsos_manager.username, stdout=StringIO())
    with pytest.raises(CommandError, match="No active user"):
        call_command("program", "flag", "--event", EVENT, "--kk", "1", "--as", "nobody", stdout=StringIO())


def test_loading_a_programme_file_is_an_audited_service_step(regions: Any, dinsos_manager: User) -> None:
    """Before, `entas program load` wrote the Programme in the command itself, with no audit event."""
    from entas.core.models import AuditEvent

    call_command("program", "load", str(EXAMPLE), "--as", dinsos_manager.username, stdout=StringIO())
    programme = Programme.objects.get()
    created = AuditEvent.objects.get(action="programme.create", object_id=str(programme.pk))
    assert created.actor == dinsos_manager and created.after["base_amount"] == programme.base_amount
    # Where it came from: the command line, and the operating-system account that ran it (shell = admin).
    assert created.channel == "cli" and created.os_user
    call_command("program", "load", str(EXAMPLE), "--as", dinsos_manager.username, stdout=StringIO())
    assert AuditEvent.objects.filter(action="programme.update", object_id=str(programme.pk)).exists()


def test_a_programme_file_is_refused_whole_with_every_problem(tmp_path: Path, dinsos_manager: User) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text(encoding="utf-8").replace("months_per_cycle: 1", "months_per_cycle: 0"))
    errors = StringIO()
    with pytest.raises(CommandError):
        call_command("program", "load", str(bad), "--as", dinsos_manager.username, stdout=StringIO(), stderr=errors)
    assert "months_per_cycle" in errors.getvalue()
    assert not Programme.objects.exists()
