"""Demonstration activity of cash programmes (called by ``entas seed_demo`` once a synthetic city is
loaded): one programme with a cycle in each interesting state, so that no programme page opens empty.
Everything goes through the services, as the two demo managers (maker and checker); idempotent."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from entas.core.errors import Refused
from entas.targeting import services as targeting

from . import services
from .models import Cycle, Payment, Programme

if TYPE_CHECKING:
    from entas.accounts.models import User

NAME = "BLT Kota Balikpapan (demo)"
RULE = "Desil 1-2 DTSEN (demo)"
# Reasons a bank gives for a failed transfer (what the cycle page lists beside each failure).
REASONS = ("Rekening tidak aktif", "Nama pemilik rekening tidak sesuai", "Rekening ditutup")


def _month(first: dt.date, offset: int) -> str:
    index = first.year * 12 + first.month - 1 + offset
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _bank_results(cycle: Cycle, failing_every: int) -> list[dict[str, Any]]:
    """Synthetic results of the bank: every ``failing_every``-th payment failed with a reason, the rest paid."""
    rows = []
    sent = Payment.objects.filter(entitlement__cycle=cycle, status=Payment.Status.SENT).order_by("pk")
    for i, reference in enumerate(sent.values_list("reference", flat=True)):
        failed = failing_every and i % failing_every == 0
        rows.append(
            {
                "reference": reference,
                "status": "failed" if failed else "paid",
                "reason": REASONS[(i // failing_every) % len(REASONS)] if failed else "",
            }
        )
    return rows


def seed(*, maker: User, checker: User) -> dict[str, Any]:
    """The demo programme and its cycles: closed, reconciled with failed payments, disbursed, approved,
    waiting for approval, a prepared draft and a cancelled one. Returns the state of each cycle (or
    why one stopped short: a step refused, e.g. by an open possible duplicate)."""
    existing = Programme.objects.filter(name=NAME).first()
    if existing is not None:
        return {"programme": existing.pk, "cycles": dict(existing.cycles.values_list("period", "state"))}
    rule = targeting.save_rule(actor=maker, name=RULE, expression="dtsen_desil <= 2", benefit=300_000)
    first = timezone.localdate().replace(day=1)
    start = dt.date.fromisoformat(_month(first, -3) + "-01")
    end = dt.date.fromisoformat(_month(first, 8) + "-01") - dt.timedelta(days=1)
    programme, _created = services.define_programme(
        name=NAME,
        fields={
            "agency": "Dinas Sosial Kota Balikpapan",
            "funding": "apbd",
            "start": start,
            "end": end,
            "channel": "bank",
            "budget_ceiling": 90_000_000_000,
            "months_per_cycle": 1,
            "tranches": None,
            "base_amount": 300_000,
            "per_child_in_school": 50_000,
            "per_elderly": 50_000,
            "per_disabled": 100_000,
            "cap": 500_000,
        },
        rule=rule,
        replace=False,
        actor=maker,
    )
    services.enrol(programme=programme, actor=maker)
    # (steps after preparation, failing_every for the bank's results; 0: no results yet)
    plans = [
        (("submit", "approve", "disburse", "reconcile", "close"), 0),
        (("submit", "approve", "disburse", "reconcile"), 25),
        (("submit", "approve", "disburse"), 0),
        (("submit", "approve"), 0),
        (("submit",), 0),
        ((), 0),
        (("cancel",), 0),
    ]
    states: dict[str, str] = {}
    for offset, (steps, failing_every) in enumerate(plans):
        period = _month(start, offset)
        cycle = services.create_cycle(programme=programme, period=period, actor=maker)
        try:
            services.prepare(cycle=cycle, actor=maker)
            for step in steps:
                if step == "reconcile":
                    services.reconcile(cycle=cycle, results=_bank_results(cycle, failing_every), actor=maker)
                else:
                    services.transition(cycle=cycle, action=step, actor=checker if step == "approve" else maker)
        except Refused as exc:
            states[period] = f"stopped: {exc.message}"
            continue
        cycle.refresh_from_db()
        states[period] = cycle.state
    return {"programme": programme.pk, "cycles": states}


# Shocks the demo's kelurahan operators report (event, kind, note): the affected-households page.
SHOCKS = {
    "op.manggar": ("Banjir Manggar Januari", "disaster", "rumah terendam banjir rob"),
    "op.damai": ("Kebakaran Damai", "disaster", "rumah terbakar"),
    "op.sepinggan": ("PHK massal pemasok tambang", "lost_income", "kepala keluarga kehilangan pekerjaan"),
}
SHOCK_HOUSEHOLDS = 8


def seed_affected() -> dict[str, int]:
    """Each demo operator reports a few households of their kelurahan as affected by a shock (through
    the same service as the page's bulk form); idempotent. Returns the households reported per event."""
    from entas.accounts.models import User
    from entas.registry.selectors import households_for

    from .models import ShockFlag

    reported: dict[str, int] = {}
    for username, (event, kind, note) in SHOCKS.items():
        operator = User.objects.filter(username=username).first()
        if operator is None or ShockFlag.objects.filter(event=event).exists():
            continue
        kk = list(households_for(operator).order_by("pk").values_list("kk_number", flat=True)[:SHOCK_HOUSEHOLDS])
        if kk:
            rows = [{"line": i, "kk_number": k} for i, k in enumerate(kk, start=1)]
            result = services.flag_affected_rows(rows=rows, event=event, kind=kind, note=note, actor=operator)
            reported[event] = result["flagged"]
    return reported
