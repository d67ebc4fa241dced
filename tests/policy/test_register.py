"""Loading the plan, its roll-ups at every level, the cash programme's payments as its realisation,
adjustments with maker-checker, and the register as it stood on a past date."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from entas.accounts.models import User
from entas.core.errors import Refused
from entas.core.models import AuditEvent
from entas.policy import selectors, services
from entas.policy.models import Activity, Adjustment, BudgetMonth, Funding, Plan, ProgrammeRecord
from entas.programs.models import Cycle, Entitlement, Payment, Programme
from entas.regions.models import Region
from tests.conftest import MANGGAR, make_household

from .conftest import EXAMPLE, example_spec

pytestmark = pytest.mark.django_db


def _show(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("policy", "show", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_the_example_plan_loads_with_programmes_of_every_kind(plan: Plan, cash_programme: Programme) -> None:
    assert plan.status == "adopted" and plan.strategies.count() == 4
    kinds = set(Programme.objects.filter(policy__isnull=False).values_list("kind", flat=True))
    assert kinds == {"cash", "training", "empowerment", "campaign", "in_kind", "service", "infrastructure"}
    cash = ProgrammeRecord.objects.get(programme=cash_programme)
    assert cash.lead_opd.code == "DINSOS" and cash_programme.base_amount == 300_000  # the cash fields kept
    # Every year's pagu is in the months, to the rupiah.
    spec = example_spec()
    assert BudgetMonth.objects.aggregate(s=Sum("pagu"))["s"] == sum(
        v for p in spec.programmes() for a in p.activities for v in a.pagu.values()
    )
    assert AuditEvent.objects.filter(action="policy.plan_load").count() == 1


def test_loading_the_same_file_again_changes_nothing(plan: Plan, tkpk_analyst: User) -> None:
    before = BudgetMonth.objects.count()
    result = services.load_plan(spec=example_spec(), actor=tkpk_analyst)
    assert result.outcome == "unchanged" and BudgetMonth.objects.count() == before


def test_an_adopted_plan_is_not_changed_by_a_file(plan: Plan, tkpk_analyst: User) -> None:
    changed = dataclasses.replace(example_spec(), title="Lain")
    with pytest.raises(Refused) as refused:
        services.load_plan(spec=changed, actor=tkpk_analyst)
    assert refused.value.code == "conflict"


def test_a_new_version_supersedes_the_adopted_one_when_adopted(plan: Plan, tkpk_analyst: User) -> None:
    draft = dataclasses.replace(example_spec(), version=2, status="draft", adopted_on=None)
    v2 = services.load_plan(spec=draft, actor=tkpk_analyst).plan
    assert v2.status == "draft" and Plan.objects.get(pk=plan.pk).status == "adopted"
    services.adopt_plan(plan=v2, adopted_on=dt.date(2026, 7, 1), legal_basis="Perwali 9/2026", actor=tkpk_analyst)
    assert Plan.objects.get(pk=plan.pk).status == "superseded"
    assert ProgrammeRecord.objects.filter(strategy__plan=v2).count() == 12


def test_a_cash_programme_must_be_defined_before_the_plan(regions: Any, tkpk_analyst: User) -> None:
    with pytest.raises(Refused) as refused:
        services.load_plan(spec=example_spec(), actor=tkpk_analyst)
    assert "entas program load" in refused.value.message and not Plan.objects.exists()


def test_only_the_registers_editors_load_a_plan(cash_programme: Programme, dinsos_manager: User, auditor: User) -> None:
    for user in (dinsos_manager, auditor):
        with pytest.raises(Refused):
            services.load_plan(spec=example_spec(), actor=user)


def _realise(activity: Activity, month: dt.date, amount: int, actor: User) -> None:
    from django.db import transaction

    with transaction.atomic():
        services.record_realisation([services.RealisationRow(activity, month, amount, 50)], actor=actor)


def _pay(programme: Programme, amount: int, when: dt.datetime, status: str = "paid") -> None:
    household = make_household(Region.objects.get(code=MANGGAR), f"64710101012{Payment.objects.count():05d}")
    cycle, _ = Cycle.objects.get_or_create(programme=programme, number=1, defaults={"period": "2026-12"})
    entitlement = Entitlement.objects.create(cycle=cycle, household=household, amount=amount)
    Payment.objects.create(
        entitlement=entitlement,
        reference=f"REF{Payment.objects.count()}",
        amount=amount,
        status=status,
        created_at=when,
    )


def test_roll_ups_are_exact_at_every_level_and_count_the_cash_payments(
    plan: Plan, cash_programme: Programme, tkpk_analyst: User
) -> None:
    training = Activity.objects.get(code="2.07.03.2.01.0001")
    _realise(training, dt.date(2025, 3, 1), 98_765_432, tkpk_analyst)
    _realise(Activity.objects.get(code="2.07.03.2.01.0002"), dt.date(2025, 4, 1), 1_000_001, tkpk_analyst)
    _pay(cash_programme, 300_000, dt.datetime(2026, 12, 20, 3, tzinfo=dt.UTC))
    _pay(cash_programme, 450_000, dt.datetime(2027, 1, 20, 3, tzinfo=dt.UTC))
    _pay(cash_programme, 999_999, dt.datetime(2027, 1, 21, 3, tzinfo=dt.UTC), status="failed")  # never counted

    reg = selectors.register(tkpk_analyst, plan, dt.date(2029, 12, 31))
    rows = BudgetMonth.objects.all()
    assert reg.money.budget == rows.aggregate(s=Sum("pagu"))["s"]
    assert reg.money.realised == 98_765_432 + 1_000_001 + 300_000 + 450_000
    for s in reg.strategies:  # each level is the exact sum of the one below
        assert s.money.budget == sum(p.money.budget for p in s.programmes)
        assert s.money.realised == sum(p.money.realised for p in s.programmes)
        for p in s.programmes:
            assert p.money.budget == sum(a.money.budget for a in p.activities)
            assert p.money.realised == sum(a.money.realised for a in p.activities)
            for a in p.activities:
                assert a.money.budget == rows.filter(activity=a.activity).aggregate(s=Sum("pagu"))["s"]
    assert reg.money.budget == sum(s.money.budget for s in reg.strategies) == sum(m.budget for m in reg.by_opd.values())
    assert reg.by_opd["DISNAKER"].realised == 98_765_432 + 1_000_001
    cash = next(p for p in reg.programmes() if p.record.programme_id == cash_programme.pk)
    assert cash.money.realised == 750_000
    assert reg.funding == {
        source: Funding.objects.filter(source=source).aggregate(s=Sum("amount"))["s"]
        for source in ("apbd", "dana_kelurahan", "apbn", "csr", "other")
    }
    # As of the end of 2026, the January payment and months after December 2026 are not counted.
    earlier = selectors.register(tkpk_analyst, plan, dt.date(2026, 12, 31))
    assert next(p for p in earlier.programmes() if p.record.programme_id == cash_programme.pk).money.realised == 300_000
    assert earlier.money.budget == rows.filter(month__lte=dt.date(2026, 12, 1)).aggregate(s=Sum("pagu"))["s"]


def test_a_revised_pagu_replaces_the_original_in_the_totals(plan: Plan, tkpk_analyst: User) -> None:
    row = BudgetMonth.objects.filter(activity__code="2.07.04.2.02.0001").order_by("month").first()
    assert row is not None
    before = selectors.register(tkpk_analyst, plan, dt.date(2029, 12, 31)).money.budget
    BudgetMonth.objects.filter(pk=row.pk).update(revised=row.pagu + 12_345)
    assert selectors.register(tkpk_analyst, plan, dt.date(2029, 12, 31)).money.budget == before + 12_345


def test_an_adjustment_changes_nothing_until_someone_else_approves_it(
    plan: Plan, tkpk_analyst: User, bappeda: User
) -> None:
    record = ProgrammeRecord.objects.get(code="P2.3")
    proposed = services.propose_adjustment(
        record=record,
        field="funding.csr",
        value="2.000.000.000",
        reason="Pertamina menambah dana TJSL (forum CSR 12 Mei 2026)",
        evidence=["https://example.invalid/notulen-forum-csr-2026-05"],
        effective_on=dt.date(2026, 6, 1),
        actor=tkpk_analyst,
    )
    assert proposed.before == 1_500_000_000 and proposed.after == 2_000_000_000
    assert Funding.objects.get(record=record, source="csr").amount == 1_500_000_000
    with pytest.raises(Refused) as refused:
        services.decide_adjustment(adjustment=proposed, approve=True, actor=tkpk_analyst)
    assert refused.value.code == "forbidden"
    approved = services.decide_adjustment(adjustment=proposed, approve=True, actor=bappeda)
    assert approved.state == "approved" and approved.decided_by == bappeda
    assert Funding.objects.get(record=record, source="csr").amount == 2_000_000_000
    with pytest.raises(Refused):
        services.decide_adjustment(adjustment=approved, approve=True, actor=bappeda)  # decided once
    events = AuditEvent.objects.filter(action__startswith="policy.adjustment").values_list("action", "actor__username")
    assert list(events.order_by("pk")) == [
        ("policy.adjustment_propose", "tkpk"),
        ("policy.adjustment_approve", "bappeda"),
    ]


def test_a_rejected_adjustment_changes_nothing(plan: Plan, tkpk_analyst: User, bappeda: User) -> None:
    record = ProgrammeRecord.objects.get(code="P4.1")
    a = services.propose_adjustment(
        record=record, field="status", value="paused", reason="Evaluasi", actor=tkpk_analyst
    )
    services.decide_adjustment(adjustment=a, approve=False, actor=bappeda, note="Tunggu evaluasi")
    assert ProgrammeRecord.objects.get(pk=record.pk).status == "active"


def test_an_adjustment_needs_a_reason_and_a_real_change(plan: Plan, tkpk_analyst: User) -> None:
    record = ProgrammeRecord.objects.get(code="P4.1")
    with pytest.raises(Refused):
        services.propose_adjustment(record=record, field="status", value="paused", reason="  ", actor=tkpk_analyst)
    with pytest.raises(Refused):
        services.propose_adjustment(record=record, field="lead_opd", value="DP3AKB", reason="x", actor=tkpk_analyst)


def test_the_register_as_of_a_past_date_reproduces_the_state_before_the_adjustments(
    plan: Plan, tkpk_analyst: User, bappeda: User
) -> None:
    record = ProgrammeRecord.objects.get(code="P2.1")
    steps = [
        ("status", "paused", dt.date(2026, 3, 1)),
        ("funding.apbd", "9.000.000.000", dt.date(2026, 6, 1)),
        ("status", "stopped", dt.date(2026, 9, 1)),
        ("target_kelurahan", "64.71.01.1001,64.71.06.1005", dt.date(2026, 9, 1)),
    ]
    for field, value, day in steps:
        a = services.propose_adjustment(
            record=record, field=field, value=value, reason="Evaluasi", effective_on=day, actor=tkpk_analyst
        )
        services.decide_adjustment(adjustment=a, approve=True, actor=bappeda)

    def fields(day: dt.date) -> dict[str, Any]:
        reg = selectors.register(tkpk_analyst, plan, day)
        return next(p for p in reg.programmes() if p.record.pk == record.pk).fields

    assert fields(dt.date(2026, 12, 31))["status"] == "stopped"
    assert fields(dt.date(2026, 12, 31))["target_kelurahan"] == ["64.71.01.1001", "64.71.06.1005"]
    mid = fields(dt.date(2026, 7, 1))
    assert mid["status"] == "paused" and mid["funding.apbd"] == 9_000_000_000 and mid["target_kelurahan"] == []
    early = fields(dt.date(2026, 1, 1))
    assert early["status"] == "active" and early["funding.apbd"] == 12_200_000_000
    # The strategy's funding as of the date follows the programme's.
    reg = selectors.register(tkpk_analyst, plan, dt.date(2026, 1, 1))
    assert (
        next(s for s in reg.strategies if s.strategy.code == "S2").funding["apbd"]
        == 12_200_000_000 + 2_500_000_000 + 10_680_000_000
    )
    shown = _show("--as-of", "2026-01-01")
    p21 = next(p for s in shown["strategies"] for p in s["programmes"] if p["code"] == "P2.1")
    assert p21["status"] == "active" and shown["as_of"] == "2026-01-01"


def test_the_command_line_proposes_and_refuses_the_proposer_as_checker(
    plan: Plan, tkpk_analyst: User, bappeda: User
) -> None:
    out = StringIO()
    call_command(
        "policy",
        "adjust",
        "Bedah Rumah (Rehabilitasi RTLH)",
        "--field",
        "target_beneficiaries",
        "--value",
        "900",
        "--reason",
        "Hasil verifikasi RTLH 2026",
        "--as",
        "tkpk",
        "--json",
        stdout=out,
    )
    proposed = json.loads(out.getvalue())
    assert proposed["before"] == 750 and proposed["after"] == 900 and proposed["state"] == "proposed"
    with pytest.raises(CommandError, match="another person"):
        call_command("policy", "approve", str(proposed["id"]), "--as", "tkpk")
    out = StringIO()
    call_command("policy", "approve", str(proposed["id"]), "--as", "bappeda", "--json", stdout=out)
    assert json.loads(out.getvalue())["state"] == "approved"
    assert ProgrammeRecord.objects.get(code="P3.1").target_beneficiaries == 900
    assert Adjustment.objects.get().decided_by == bappeda


def test_the_command_line_loads_the_example_and_shows_the_tree(cash_programme: Programme, tkpk_analyst: User) -> None:
    out = StringIO()
    call_command("policy", "load", str(EXAMPLE), "--as", "tkpk", "--json", stdout=out)
    loaded = json.loads(out.getvalue())
    assert loaded["outcome"] == "created" and loaded["programmes"] == 12 and loaded["programmes_created"] == 11
    out = StringIO()
    call_command("policy", "load", str(EXAMPLE), "--as", "tkpk", "--json", stdout=out)
    assert json.loads(out.getvalue())["outcome"] == "unchanged"
    shown = _show("--as-of", "2029-12-31")
    assert shown["plan"]["code"] == "RPKD-2025-2029"
    assert shown["money"]["budget"] == BudgetMonth.objects.aggregate(s=Sum("pagu"))["s"]
    assert shown["money"]["budget"] == sum(s["money"]["budget"] for s in shown["strategies"])


def test_a_bad_plan_file_is_refused_with_every_problem(
    tmp_path: Any, cash_programme: Programme, tkpk_analyst: User
) -> None:
    bad = (
        EXAMPLE.read_text(encoding="utf-8")
        .replace("code: 2.07.03.2.01.0001", "code: 2.07.03.2.01.1")
        .replace("kind: training", "kind: seminar")
    )
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("policy", "load", str(path), "--as", "tkpk")
    assert "2 problem" in str(refused.value) and "seminar" in str(refused.value)
    assert not Plan.objects.exists()


def test_a_pagu_revision_is_an_adjustment_of_an_activity_and_undone_as_of_an_earlier_date(
    plan: Plan, tkpk_analyst: User, bappeda: User
) -> None:
    activity = Activity.objects.get(code="2.07.03.2.01.0002")
    record = activity.record
    before = selectors.register(tkpk_analyst, plan, dt.date(2029, 12, 31))
    with pytest.raises(Refused):  # a pagu is an activity's
        services.propose_adjustment(record=record, field="pagu.2026", value="1000", reason="x", actor=tkpk_analyst)
    with pytest.raises(Refused):  # outside the period
        services.propose_adjustment(
            record=record, field="pagu.2031", value="1000", reason="x", activity=activity, actor=tkpk_analyst
        )
    proposed = services.propose_adjustment(
        record=record,
        field="pagu.2026",
        value="1.500.000.001",
        reason="APBD Perubahan 2026: tambahan kelas las",
        activity=activity,
        effective_on=dt.date(2026, 9, 1),
        actor=tkpk_analyst,
    )
    assert proposed.before == 1_150_000_000 and proposed.after == 1_500_000_001
    services.decide_adjustment(adjustment=proposed, approve=True, actor=bappeda)
    assert services.current_value(record, "pagu.2026", activity) == 1_500_000_001
    after = selectors.register(tkpk_analyst, plan, dt.date(2029, 12, 31))
    assert after.money.budget == before.money.budget + 350_000_001
    assert (
        next(p for p in after.programmes() if p.record.pk == record.pk).money.budget
        == next(p for p in before.programmes() if p.record.pk == record.pk).money.budget + 350_000_001
    )
    # As of the end of August 2026 the revision was not yet in force: the register is as before.
    assert (
        selectors.register(tkpk_analyst, plan, dt.date(2026, 8, 31)).money.budget
        == (BudgetMonth.objects.filter(month__lte=dt.date(2026, 8, 1)).aggregate(s=Sum("pagu"))["s"])
    )
    years = selectors.years_of(record, dt.date(2026, 8, 31))[activity.pk]
    assert (
        next(y for y in years if y.year == 2026).money.budget == (1_150_000_000 // 12) * 8
    )  # eight months of equal shares


def test_a_cash_transfers_rule_is_changed_by_an_adjustment(
    plan: Plan, cash_programme: Programme, tkpk_analyst: User, bappeda: User
) -> None:
    from entas.targeting import services as targeting

    record = ProgrammeRecord.objects.get(programme=cash_programme)
    with pytest.raises(Refused):  # no such rule
        services.propose_adjustment(record=record, field="rule", value="Desil 1", reason="x", actor=tkpk_analyst)
    targeting.save_rule(actor=None, name="Desil 1-2 dengan lansia", expression="dtsen_desil <= 2", benefit=300_000)
    a = services.propose_adjustment(
        record=record, field="rule", value="Desil 1-2 dengan lansia", reason="Anggaran dipotong", actor=tkpk_analyst
    )
    assert (a.before, a.after) == ("BLT 2026", "Desil 1-2 dengan lansia")
    services.decide_adjustment(adjustment=a, approve=True, actor=bappeda)
    assert Programme.objects.get(pk=cash_programme.pk).rule.name == "Desil 1-2 dengan lansia"  # type: ignore[union-attr]
    with pytest.raises(Refused):  # a training programme has no rule
        services.propose_adjustment(
            record=ProgrammeRecord.objects.get(code="P2.1"),
            field="rule",
            value="BLT 2026",
            reason="x",
            actor=tkpk_analyst,
        )


def test_a_draft_version_is_adopted_on_the_command_line_and_shown_as_text(
    plan: Plan, tkpk_analyst: User, auditor: User
) -> None:
    draft = dataclasses.replace(example_spec(), version=2, status="draft", adopted_on=None)
    services.load_plan(spec=draft, actor=tkpk_analyst)
    with pytest.raises(CommandError):  # an auditor reads, never adopts
        call_command("policy", "adopt", "RPKD-2025-2029:2", "--legal-basis", "Perwali 9/2026", "--as", "auditor")
    out = StringIO()
    call_command(
        "policy",
        "adopt",
        "RPKD-2025-2029:2",
        "--legal-basis",
        "Perwali 9/2026",
        "--on",
        "2026-07-01",
        "--as",
        "tkpk",
        "--json",
        stdout=out,
    )
    assert json.loads(out.getvalue())["status"] == "adopted"
    assert Plan.objects.get(pk=plan.pk).status == "superseded"
    with pytest.raises(CommandError, match="draft"):
        call_command("policy", "adopt", "RPKD-2025-2029:2", "--legal-basis", "x", "--as", "tkpk")
    text = StringIO()
    call_command("policy", "show", "--as-of", "2029-12-31", stdout=text)
    lines = text.getvalue().splitlines()
    assert lines[0].startswith("RPKD-2025-2029 v2") and sum(1 for line in lines if line.startswith("    P")) == 12


def test_a_programme_file_cannot_turn_another_kind_into_a_cash_transfer(plan: Plan, dinsos_manager: User) -> None:
    from entas.programs import services as programs

    with pytest.raises(Refused) as refused:
        programs.define_programme(
            name="Pelatihan Kerja Berbasis Kompetensi",
            fields={
                "agency": "x",
                "funding": "apbd",
                "start": dt.date(2026, 1, 1),
                "end": dt.date(2026, 12, 31),
                "channel": "bank",
                "budget_ceiling": 1,
                "base_amount": 1,
            },
            rule_name="Uji",
            rule_expression="true",
            replace=True,
            actor=dinsos_manager,
        )
    assert refused.value.code == "conflict"
    assert Programme.objects.get(name="Pelatihan Kerja Berbasis Kompetensi").kind == "training"
