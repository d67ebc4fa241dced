"""Personal-data protection (UU 27/2022; docs/privacy.md): the data-subject access report and the
retention purge of exited members and old audit detail."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from entas.core import audit, personaldata
from entas.core.errors import Refused
from entas.core.models import AuditEvent
from entas.registry import privacy
from entas.registry.models import Household, KKNumber, Member
from tests.conftest import make_household

pytestmark = pytest.mark.django_db


def _exit(member: Member, on: dt.date) -> None:
    Member.objects.filter(pk=member.pk).update(exited_on=on, exit_reason="Pindah ke Samarinda")


def test_every_app_registers_a_provider_and_the_copies_of_niks_a_purger() -> None:
    names = set(personaldata.providers())
    assert {
        "registry.person",
        "targeting.score",
        "programs.payment",
        "policy.benefit",
        "training.application",
        "enterprise.loan",
        "outreach.attendance",
        "participation.decision",
        "portal.case",
        "payees.payee",
    } <= names
    assert {"payees.payee", "portal.case"} <= set(personaldata.purgers())
    # The copies of a NIK run before the registry replaces the member's own (they find people by it).
    assert personaldata.purgers()[-1] == "registry.members"
    assert {"training.application", "outreach.attendance"} <= set(personaldata.purgers())


def test_a_dinsos_manager_gets_every_section_about_the_person_and_the_report_is_audited(
    dinsos_manager: Any, manggar_household: Household
) -> None:
    person = manggar_household.members.order_by("pk").first()
    assert person is not None
    audit.record(actor=dinsos_manager, action="household.view", obj=manggar_household)
    report = privacy.access_report(actor=dinsos_manager, nik=person.nik)
    by_key = {s.key: s for s in report.sections}
    assert by_key["registry.member"].rows[0]["NIK"] == person.nik
    assert len(by_key["registry.household"].rows) == 1
    assert by_key["programs.payment"].rows == []  # a module that holds nothing says so
    audit_rows = by_key["core.audit"].rows
    # The report lists who saw the person, its own production included (it is audited first).
    assert [r["action"] for r in audit_rows] == ["privacy.access_report", "household.view"]
    event = AuditEvent.objects.get(action="privacy.access_report")
    assert event.actor == dinsos_manager and event.object_id == str(person.pk)
    assert person.nik not in event.object_repr  # the trail names the person masked
    data = json.loads(report.to_json())
    assert data["nik"] == person.nik and data["generated_by"] == "dinsos1"


def test_an_operator_may_not_and_a_manager_outside_the_area_finds_no_one(
    operator_manggar: Any, make_user: Any, manggar_household: Household
) -> None:
    from entas.accounts.roles import Role
    from tests.conftest import DAMAI

    nik = manggar_household.members.first().nik  # type: ignore[union-attr]
    with pytest.raises(Refused) as refused:
        privacy.access_report(actor=operator_manggar, nik=nik)
    assert refused.value.code == "forbidden"
    elsewhere = make_user("dinsos.damai", Role.DINSOS_MANAGER, [DAMAI])
    with pytest.raises(Refused) as refused:
        privacy.access_report(actor=elsewhere, nik=nik)
    assert refused.value.code == "not_found"
    assert not AuditEvent.objects.filter(action="privacy.access_report").exists()


def test_the_page_finds_the_person_and_downloads_pdf_and_json(
    client_for: Any, dinsos_manager: Any, operator_manggar: Any, manggar_household: Household
) -> None:
    person = manggar_household.members.first()
    assert person is not None
    url = reverse("registry:privacy_report")
    assert client_for(operator_manggar).get(url).status_code == 403
    client = client_for(dinsos_manager)
    page = client.get(url, {"nik": person.nik})
    assert page.status_code == 200 and person.name in page.content.decode()
    pdf = client.post(url, {"nik": person.nik, "format": "pdf"})
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    as_json = client.post(url, {"nik": person.nik, "format": "json"})
    assert json.loads(as_json.content)["name"] == person.name
    assert AuditEvent.objects.filter(action="privacy.access_report").count() == 2


def test_the_command_writes_the_report(dinsos_manager: Any, manggar_household: Household, tmp_path: Path) -> None:
    person = manggar_household.members.first()
    assert person is not None
    out = tmp_path / "report.json"
    call_command("privacy", "access-report", person.nik, "--as", "dinsos1", "--out", str(out), "--json")
    assert json.loads(out.read_text())["nik"] == person.nik
    assert out.stat().st_mode & 0o777 == 0o600
    pdf = tmp_path / "report.pdf"
    call_command("privacy", "access-report", person.nik, "--as", "dinsos1", "--out", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
    with pytest.raises(CommandError):
        call_command("privacy", "access-report", "6471019999999999", "--as", "dinsos1", "--out", str(pdf))


def test_the_purge_anonymises_members_who_left_before_the_retention_and_keeps_the_statistics(
    settings: Any, regions: Any, manggar_household: Household
) -> None:
    from tests.conftest import MANGGAR

    settings.ENTAS_RETENTION_EXITED_MEMBER_DAYS = 365
    settings.ENTAS_RETENTION_AUDIT_DETAIL_DAYS = 0
    today = dt.date(2026, 6, 1)
    gone_family = make_household(regions[MANGGAR], "6471010101200009", members=2)
    KKNumber.objects.create(household=gone_family, kk_number=gone_family.kk_number, valid_from=dt.date(2010, 1, 1))
    for m in gone_family.members.all():
        _exit(m, dt.date(2024, 1, 1))
    recent = manggar_household.members.order_by("pk")[0]
    _exit(recent, dt.date(2026, 1, 1))  # within the year: kept
    staying_nik = manggar_household.members.order_by("pk")[1].nik

    from entas.payees.models import Payee

    gone_account = Payee.objects.create(
        household=gone_family, bank_code="014", account_number="0123456789", account_holder="Warga Sintetis"
    )
    kept_account = Payee.objects.create(
        household=manggar_household, bank_code="014", account_number="9876543210", account_holder="Warga Lain"
    )

    dry = personaldata.purge(dry_run=True, today=today)
    assert dry["members_anonymised"] == 2 and dry["households_anonymised"] == 1
    assert dry["payees.payee_anonymised"] == 1 and dry["portal.case_contacts_cleared"] == 0
    assert not Member.objects.filter(nik__startswith="00").exists()
    assert not AuditEvent.objects.filter(action="privacy.purge").exists()

    done = personaldata.purge(dry_run=False, today=today)
    assert done["members_anonymised"] == 2 and done["households_anonymised"] == 1
    gone = list(Member.objects.filter(household=gone_family).order_by("pk"))
    assert all(m.nik == personaldata.anonymised_nik(m.pk) and m.name == "(anonim)" for m in gone)
    assert all(m.birth_date == dt.date(m.birth_date.year, 1, 1) and m.sex and m.exit_reason == "" for m in gone)
    gone_family.refresh_from_db()
    assert gone_family.kk_number.startswith("00") and gone_family.address == "" and gone_family.kelurahan_id
    assert KKNumber.objects.get(household=gone_family).kk_number.startswith("00")
    recent.refresh_from_db()
    assert recent.nik != "" and not recent.nik.startswith("00")
    assert Member.objects.filter(nik=staying_nik).exists()
    manggar_household.refresh_from_db()
    assert not manggar_household.kk_number.startswith("00")
    gone_account.refresh_from_db()
    kept_account.refresh_from_db()
    assert gone_account.account_number == "" and gone_account.account_holder == "(anonim)"
    assert kept_account.account_number == "9876543210"
    # Idempotent: a second run finds nothing more; the run that changed something is audited.
    assert personaldata.purge(dry_run=False, today=today)["members_anonymised"] == 0
    assert AuditEvent.objects.filter(action="privacy.purge").count() == 1


def test_old_audit_detail_loses_its_values_but_the_row_stays(settings: Any, dinsos_manager: Any) -> None:
    settings.ENTAS_RETENTION_EXITED_MEMBER_DAYS = 0
    settings.ENTAS_RETENTION_AUDIT_DETAIL_DAYS = 30
    old = audit.record(
        actor=dinsos_manager,
        action="member.correct",
        object_type="registry.member",
        object_id="7",
        object_repr="Siti Sintetis",
        before={"name": "Siti Sintetis"},
        after={"name": "Siti Aminah Sintetis"},
    )
    AuditEvent.objects.filter(pk=old.pk)  # the immutable queryset refuses updates: age it the raw way
    from django.db import models

    seen = audit.record(actor=dinsos_manager, action="household.view", object_repr="KK 6471010101200001")
    models.QuerySet(model=AuditEvent).filter(pk__in=[old.pk, seen.pk]).update(at=timezone.now() - dt.timedelta(days=40))
    new = audit.record(actor=dinsos_manager, action="member.correct", object_repr="Budi", before={"name": "B"})
    assert personaldata.purge(dry_run=True) == {"audit_events_redacted": 2}
    assert personaldata.purge(dry_run=False)["audit_events_redacted"] == 2
    seen.refresh_from_db()
    assert seen.object_repr == "" and seen.after is None and seen.action == "household.view"
    old.refresh_from_db()
    assert old.before == {"_redacted": True, "fields": ["name"]} and old.after == {
        "_redacted": True,
        "fields": ["name"],
    }
    assert old.object_repr == "" and old.actor == dinsos_manager and old.action == "member.correct"
    assert old.object_id == "7"
    new.refresh_from_db()
    assert new.before == {"name": "B"} and new.object_repr == "Budi"
    assert personaldata.purge(dry_run=True)["audit_events_redacted"] == 0


def test_the_purge_command_and_job_kind(settings: Any, admin_user: Any, operator_manggar: Any) -> None:
    from io import StringIO

    from entas.core import jobqueue

    settings.ENTAS_RETENTION_EXITED_MEMBER_DAYS = 10
    settings.ENTAS_RETENTION_AUDIT_DETAIL_DAYS = 0
    out = StringIO()
    call_command("privacy", "purge", "--dry-run", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["dry_run"] is True and result["members_anonymised"] == 0
    assert result["training.application_anonymised"] == 0 and "audit_events_redacted" not in result  # 0 = off
    with pytest.raises(CommandError):
        call_command("privacy", "purge", "--as", "op.manggar")
    assert "core.purge_personal_data" in jobqueue.kinds()
    job = jobqueue.submit(kind="core.purge_personal_data", params={"dry_run": "true"}, actor=admin_user, queue=False)
    job = jobqueue.execute(job.pk)
    assert job.status == "succeeded" and job.result["dry_run"] is True
