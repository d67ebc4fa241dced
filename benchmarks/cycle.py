"""Preparing a payment cycle and writing its pain.001 file.

Figures: time to prepare a cycle (re-check the rule, compute every entitlement, write them) and to
disburse and write the XSD-validated pain.001 file and the printable cash list (PDF), for N
households all enrolled. Floor: a bare bulk insert of the same number of entitlement rows
(executemany), in the same run.
Target (issue 7): seconds, not hours, at 100,000 and 300,000 households.

    .venv/bin/python benchmarks/cycle.py [--households 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=100_000)
    args = parser.parse_args()
    from _setup import django_setup, load_city, report

    django_setup()
    from django.conf import settings
    from django.db import connection, transaction

    from entas.accounts.models import User
    from entas.accounts.roles import Role
    from entas.core.bulk import Inserter
    from entas.payees.models import Payee
    from entas.programs import files, services
    from entas.programs.models import Cycle, Enrolment, Entitlement, Programme
    from entas.targeting import services as targeting

    out = load_city(args.households, seed=6)
    maker = User.objects.create_user(username="maker", role=Role.DINSOS_MANAGER)
    checker = User.objects.create_user(username="checker", role=Role.DINSOS_MANAGER)
    rule = targeting.save_rule(actor=None, name="all", expression="size >= 1", benefit=300_000)
    programme = Programme.objects.create(
        name="bench",
        agency="Dinsos",
        funding="apbd",
        start=dt.date(2026, 12, 1),
        end=dt.date(2027, 12, 1),
        rule=rule,
        base_amount=300_000,
        per_child_in_school=50_000,
        cap=500_000,
        budget_ceiling=10**15,
        channel="bank",
    )
    services.enrol(programme=programme, actor=maker)
    households = list(Enrolment.objects.values_list("household_id", flat=True))
    with transaction.atomic():  # every enrolled household has a valid account (BCA: 10 digits)
        Inserter(Payee).insert(
            {
                "household_id": h,
                "bank_code": "014",
                "account_number": f"{h:010d}",
                "account_holder": "Penerima",
                "source": "benchmark",
            }
            for h in households
        )

    floor_cycle = Cycle.objects.create(programme=programme, number=99, period="floor")
    start = time.perf_counter()
    with transaction.atomic():
        Inserter(Entitlement).insert(
            {"cycle_id": floor_cycle.pk, "household_id": h, "amount": 300_000} for h in households
        )
    floor = time.perf_counter() - start
    Entitlement.objects.filter(cycle=floor_cycle).delete()
    floor_cycle.delete()

    cycle = services.create_cycle(programme=programme, period="2026-12", actor=maker)
    start = time.perf_counter()
    services.prepare(cycle=cycle, actor=maker)
    prepare = time.perf_counter() - start
    services.transition(cycle=cycle, action="submit", actor=maker)
    services.transition(cycle=cycle, action="approve", actor=checker)
    start = time.perf_counter()
    cycle = services.transition(cycle=cycle, action="disburse", actor=maker)
    disburse = time.perf_counter() - start
    settings.ENTAS_PAYER_ACCOUNT = "9876543210"
    start = time.perf_counter()
    xml = files.pain001(cycle)
    pain = time.perf_counter() - start
    start = time.perf_counter()
    listed = files.cash_list_pdf(cycle, out / "cash.pdf")
    cash_pdf = time.perf_counter() - start
    print(f"{len(households):,} households on {connection.vendor}")
    print(f"floor (bare bulk insert of {len(households):,} entitlements): {floor:8.2f} s")
    print(f"prepare (rule re-check, entitlements, write):       {prepare:8.2f} s = {prepare / floor:.1f}x floor")
    print(f"disburse (issue payments):                         {disburse:8.2f} s")
    print(f"pain.001 (write and validate, {len(xml) / 1e6:.0f} MB):              {pain:8.2f} s")
    size = (out / "cash.pdf").stat().st_size / 1e6
    print(f"cash list PDF ({listed:,} rows, {size:.0f} MB):                {cash_pdf:8.2f} s")
    if listed != len(households):
        raise SystemExit(f"the cash list has {listed:,} rows for {len(households):,} households")
    report("cycle prepare", prepare, "s", floor=floor, target="seconds, within a few x of a bare insert")
    report("pain.001 written and validated", pain, "s")
    report("cash list PDF", cash_pdf, "s", target="≤ 10 s at 100,000 rows (issue #28)")


if __name__ == "__main__":
    main()
