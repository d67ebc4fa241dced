"""Move the account numbers kept on programme enrolments (programs.Enrolment.account_number and
account_holder, one per programme) to the household's payee account: for each household, the most
recently changed enrolment that has a number. Nothing is validated here: an account the bank's rules
refuse is moved as it was, and the export readiness check names it."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    Enrolment = apps.get_model("programs", "Enrolment")
    Payee = apps.get_model("payees", "Payee")
    seen: set[int] = set()
    batch = []
    rows = (
        Enrolment.objects.exclude(account_number="")
        .order_by("household_id", "-changed_at", "-pk")
        .values_list("household_id", "account_number", "account_holder", "changed_at")
    )
    for household, number, holder, changed in rows.iterator(chunk_size=10_000):
        if household in seen or Payee.objects.filter(household_id=household, ended_at__isnull=True).exists():
            seen.add(household)
            continue
        seen.add(household)
        batch.append(
            Payee(
                household_id=household,
                bank_code="",
                account_number=number[:34],
                account_holder=holder[:70],
                created_at=changed,
                source="migration",
            )
        )
        if len(batch) >= 5000:
            Payee.objects.bulk_create(batch)
            batch = []
    Payee.objects.bulk_create(batch)


def backwards(apps: Any, schema_editor: Any) -> None:
    Enrolment = apps.get_model("programs", "Enrolment")
    Payee = apps.get_model("payees", "Payee")
    for payee in Payee.objects.filter(ended_at__isnull=True).iterator(chunk_size=10_000):
        Enrolment.objects.filter(household_id=payee.household_id).update(
            account_number=payee.account_number, account_holder=payee.account_holder
        )


class Migration(migrations.Migration):
    dependencies = [
        ("payees", "0001_initial"),
        ("programs", "0004_enrolment_and_job_locks"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
