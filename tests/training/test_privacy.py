"""Training's part of personal-data protection (docs/privacy.md): its applications appear in a person's
access report, and the copy of an exited member's NIK and name is anonymised with the member."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from entas.core import personaldata
from entas.registry import privacy
from entas.registry.models import Member
from entas.training.models import Application, Cohort

pytestmark = pytest.mark.django_db


def _apply(cohort: Cohort, person: Member) -> Application:
    return Application.objects.create(
        cohort=cohort,
        member=person,
        nik=person.nik,
        name=person.name,
        sex=person.sex,
        birth_date=person.birth_date,
        kelurahan=person.household.kelurahan,
        channel="operator",
    )


def test_an_application_is_in_the_report_and_anonymised_with_the_member(
    settings: Any, cohort: Cohort, add_person: Callable[..., Member], dinsos_manager: Any
) -> None:
    gone, staying = add_person(), add_person()
    left, stays = _apply(cohort, gone), _apply(cohort, staying)
    report = privacy.access_report(actor=dinsos_manager, nik=gone.nik)
    section = next(s for s in report.sections if s.key == "training.application")
    assert [r["NIK"] for r in section.rows] == [gone.nik]

    Member.objects.filter(pk=gone.pk).update(exited_on=dt.date(2020, 1, 1))
    settings.ENTAS_RETENTION_EXITED_MEMBER_DAYS = 365
    settings.ENTAS_RETENTION_AUDIT_DETAIL_DAYS = 0
    assert personaldata.purge(dry_run=True)["training.application_anonymised"] == 1
    counts = personaldata.purge(dry_run=False)
    assert counts["training.application_anonymised"] == 1 and counts["members_anonymised"] == 1
    left.refresh_from_db()
    stays.refresh_from_db()
    assert left.nik == personaldata.anonymised_nik(left.pk) and left.name == "(anonim)"
    assert left.status == stays.status  # the application's outcome stays for the statistics
    assert stays.nik == staying.nik and stays.name == staying.name
