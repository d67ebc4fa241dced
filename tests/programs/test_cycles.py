"""Cash programmes: the cycle state machine, maker-checker, entitlements, never paying twice,
payment files validated against the official XSD, and reconciliation."""

from __future__ import annotations

import itertools
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from entas.accounts.models import User
from entas.core.errors import Refused
from entas.programs import files, services
from entas.programs.models import Cycle, Enrolment, Entitlement, Payment, Programme
from entas.programs.services import cycles
from entas.registry.importer import import_registry
from entas.synth import SynthConfig, build, write
from tests.helpers import give_accounts, pdf_text

pytestmark = pytest.mark.django_db
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "blt.yaml"


def prepared(programme: Programme, manager: User) -> Cycle:
    services.enrol(programme=programme, actor=manager)
    cycle = services.create_cycle(programme=programme, period="2026-12", actor=manager)
    services.prepare(cycle=cycle, actor=manager)
    cycle.refresh_from_db()
    return cycle


def disbursed(programme: Programme, manager: User, approver: User) -> Cycle:
    """A prepared cycle taken through submit (maker), approve (checker) and disburse."""
    cycle = prepared(programme, manager)
    for actor, action in ((manager, "submit"), (approver, "approve"), (manager, "disburse")):
        cycle = services.transition(cycle=cycle, action=action, actor=actor)
    return cycle


def test_a_full_cycle_with_maker_checker(
    programme: Programme, dinsos_manager: User, approver: User, operator_manggar: User, settings: Any
) -> None:
    cycle = prepared(programme, dinsos_manager)
    assert cycle.control_count == Enrolment.objects.filter(state="enrolled").count() > 0
    assert cycle.control_sum == sum(Entitlement.objects.filter(cycle=cycle).values_list("amount", flat=True))
    with pytest.raises(Refused, match="role"):
        services.transition(cycle=cycle, action="submit", actor=operator_manggar)
    services.transition(cycle=cycle, action="submit", actor=dinsos_manager)
    with pytest.raises(Refused, match="second person"):
        services.transition(cycle=cycle, action="approve", actor=dinsos_manager)
    services.transition(cycle=cycle, action="approve", actor=approver)
    with pytest.raises(Refused, match="cannot be"):
        services.transition(cycle=cycle, action="submit", actor=dinsos_manager)
    cycle = services.transition(cycle=cycle, action="disburse", actor=dinsos_manager)
    assert Payment.objects.filter(entitlement__cycle=cycle).count() == cycle.control_count
    give_accounts(Enrolment.objects.filter(programme=programme).values_list("household_id", flat=True))
    settings.ENTAS_PAYER_ACCOUNT = "9876543210"
    xml = files.pain001(cycle)
    files.validate_pain001(xml)  # the official pain.001.001.09 schema
    assert f"<NbOfTxs>{cycle.control_count}</NbOfTxs>".encode() in xml
    assert f"<CtrlSum>{cycle.control_sum}</CtrlSum>".encode() in xml
    with pytest.raises(Refused, match="schema"):
        files.validate_pain001(xml.replace(b"<PmtMtd>TRF</PmtMtd>", b""))
    payments = list(Payment.objects.filter(entitlement__cycle=cycle).order_by("pk"))
    results = [{"reference": p.reference, "status": "paid"} for p in payments[1:]]
    results += [
        {"reference": payments[0].reference, "status": "failed", "reason": "rekening tutup"},
        {"reference": "UNKNOWN-1", "status": "paid"},
    ]
    outcome = services.reconcile(cycle=cycle, results=results, actor=dinsos_manager)
    assert outcome["unknown"] == [{"line": len(results) + 1, "reference": "UNKNOWN-1"}]
    assert outcome["reconciled"] and outcome["paid_sum"] + outcome["failed_sum"] == cycle.control_sum
    cycle.refresh_from_db()
    services.transition(cycle=cycle, action="close", actor=dinsos_manager)
    cycle.refresh_from_db()
    assert cycle.state == "closed"


def test_never_twice_in_a_cycle(programme: Programme, dinsos_manager: User) -> None:
    cycle = prepared(programme, dinsos_manager)
    first = list(Entitlement.objects.filter(cycle=cycle).values_list("household_id", "amount"))
    services.prepare(cycle=cycle, actor=dinsos_manager)  # re-running preparation is idempotent
    assert sorted(first) == sorted(Entitlement.objects.filter(cycle=cycle).values_list("household_id", "amount"))
    entitlement = Entitlement.objects.filter(cycle=cycle).first()
    assert entitlement is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Entitlement.objects.create(cycle=cycle, household=entitlement.household, amount=1)


def test_disbursing_twice_issues_no_second_payment(programme: Programme, dinsos_manager: User, approver: User) -> None:
    cycle = disbursed(programme, dinsos_manager, approver)
    count = Payment.objects.count()
    assert cycles._issue_payments(cycle) == 0
    assert Payment.objects.count() == count
    payment = Payment.objects.first()
    assert payment is not None
    services.reconcile(
        cycle=cycle, results=[{"reference": payment.reference, "status": "failed"}], actor=dinsos_manager
    )
    assert services.retry_failed(cycle=cycle, actor=dinsos_manager) == 1
    assert services.retry_failed(cycle=cycle, actor=dinsos_manager) == 0  # a failure is retried once
    assert Payment.objects.get(retry_of=payment).amount == payment.amount


def test_approval_over_budget_is_refused(programme: Programme, dinsos_manager: User, approver: User) -> None:
    cycle = prepared(programme, dinsos_manager)
    Programme.objects.filter(pk=programme.pk).update(budget_ceiling=cycle.control_sum - 1)
    services.transition(cycle=cycle, action="submit", actor=dinsos_manager)
    with pytest.raises(Refused, match="exceeds the remaining budget"):
        services.transition(cycle=cycle, action="approve", actor=approver)


def test_an_unresolved_duplicate_blocks_payment_until_someone_decides(
    programme: Programme, dinsos_manager: User, approver: User
) -> None:
    from entas.dedup import services as dedup
    from entas.registry.models import Member
    from tests.helpers import make_pair

    cycle = prepared(programme, dinsos_manager)
    paid = Entitlement.objects.filter(cycle=cycle).order_by("pk").first()
    assert paid is not None
    person = Member.objects.filter(household_id=paid.household_id).first()
    elsewhere = Member.objects.exclude(household_id=paid.household_id).first()
    pair = make_pair(person, elsewhere)
    result = services.prepare(cycle=cycle, actor=dinsos_manager)
    assert result["flagged_duplicate"] >= 1
    assert "possible duplicate" in Entitlement.objects.get(cycle=cycle, household_id=paid.household_id).flags
    services.transition(cycle=cycle, action="submit", actor=dinsos_manager)
    with pytest.raises(Refused, match="possible duplicate person nobody has resolved"):
        services.transition(cycle=cycle, action="approve", actor=approver)
    dedup.decide(pair=pair, decision="different", reason="two people, checked", actor=dinsos_manager)
    assert services.transition(cycle=cycle, action="approve", actor=approver).state == "approved"


def test_households_that_no_longer_qualify_are_paused_with_the_reason(
    programme: Programme, dinsos_manager: User
) -> None:
    services.enrol(programme=programme, actor=dinsos_manager)
    rule = programme.rule
    rule.expression = "dtsen_desil <= 2"
    rule.save()
    cycle = services.create_cycle(programme=programme, period="2027-01", actor=dinsos_manager)
    result = services.prepare(cycle=cycle, actor=dinsos_manager)
    assert result["paused"] > 0
    paused = Enrolment.objects.filter(state="paused").first()
    assert paused is not None and "no longer meets the rule at cycle 1" in paused.reason


def test_the_command_line_runs_a_cycle_under_named_users(
    regions: Any, tmp_path: Path, dinsos_manager: User, approver: User, settings: Any
) -> None:
    write(build(SynthConfig(households=600, seed=13, survey_size=150)), tmp_path)
    import_registry(tmp_path / "registry.csv", actor=None, rejection_path=tmp_path / "r.csv")
    from entas.monitoring.services import import_survey
    from entas.targeting.services import fit_model, score_registry

    survey = import_survey(path=tmp_path / "survey.csv", name="Susenas sintetis", year=2025, actor=None)
    score_registry(model=fit_model(survey=survey, kind="wls", line=782248, actor=None), actor=None)
    call_command("program", "load", str(EXAMPLE), "--as", "dinsos1", stdout=StringIO())
    name = Programme.objects.get().name
    out = StringIO()
    call_command("program", "enrol", name, "--as", "dinsos1", "--json", stdout=out)
    assert json.loads(out.getvalue())["enrolled"] > 0

    def run(*args: str) -> dict[str, Any]:
        buffer = StringIO()
        call_command("cycle", *args, "--json", stdout=buffer)
        return json.loads(buffer.getvalue())

    cycle = run("create", name, "--period", "2026-12", "--as", "dinsos1")["cycle"]
    assert run("prepare", str(cycle), "--as", "dinsos1")["entitlements"] > 0
    run("submit", str(cycle), "--as", "dinsos1")
    with pytest.raises(CommandError, match="second person"):
        run("approve", str(cycle), "--as", "dinsos1")
    assert run("approve", str(cycle), "--as", "dinsos2")["state"] == "approved"
    assert run("disburse", str(cycle), "--as", "dinsos2")["state"] == "disbursed"
    # No account numbers yet: refused before anything is written, saying what is missing.
    with pytest.raises(CommandError, match="households to be paid have no bank account") as refused:
        run("export", str(cycle), "--format", "csv", "--out", str(tmp_path / "bank.csv"), "--as", "dinsos1")
    assert "paying account is not set" in str(refused.value)
    assert not (tmp_path / "bank.csv").exists()
    cash = run("export", str(cycle), "--format", "pdf", "--out", str(tmp_path / "tunai.pdf"), "--as", "dinsos1")
    assert (tmp_path / "tunai.pdf").read_bytes().startswith(b"%PDF") and cash["payments"] > 0
    with pytest.raises(CommandError, match="paying account is not set"):
        run("export", str(cycle), "--format", "pain001", "--out", str(tmp_path / "p.xml"), "--as", "dinsos1")
    result = tmp_path / "result.csv"
    references = Payment.objects.values_list("reference", flat=True)
    result.write_text("reference,status,reason\n" + "".join(f"{r},paid,\n" for r in references))
    assert run("reconcile", str(cycle), "--file", str(result), "--as", "dinsos1")["state"] == "reconciled"
    assert run("close", str(cycle), "--as", "dinsos1")["state"] == "closed"


def pain002(message: str, transactions: list[tuple[str, str, str]], group: str = "PART") -> str:
    """A bank's pain.002.001.10 status report answering payment file ``message``, one transaction per
    line from line 3 on."""
    lines = "".join(
        f"\n<TxInfAndSts><OrgnlEndToEndId>{ref}</OrgnlEndToEndId><TxSts>{status}</TxSts>"
        + (f"<StsRsnInf><Rsn><Cd>{code}</Cd></Rsn><AddtlInf>rekening tutup</AddtlInf></StsRsnInf>" if code else "")
        + "</TxInfAndSts>"
        for ref, status, code in transactions
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>'
        "<GrpHdr><MsgId>BANK-1</MsgId><CreDtTm>2026-12-05T10:00:00</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{message}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>"
        f"<GrpSts>{group}</GrpSts></OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>P</OrgnlPmtInfId>{lines}</OrgnlPmtInfAndSts>"
        "</CstmrPmtStsRpt></Document>"
    )


def test_reconciling_from_a_pain002_status_report(
    programme: Programme, dinsos_manager: User, approver: User, tmp_path: Path
) -> None:
    cycle = disbursed(programme, dinsos_manager, approver)
    payments = list(Payment.objects.filter(entitlement__cycle=cycle).order_by("pk"))
    message = f"ENTAS-C{cycle.pk}-20261201090000"
    report = tmp_path / "status.xml"
    # first pass: one rejected with its reason code, one still pending at the bank, one unknown line
    entries = [(p.reference, "ACSC", "") for p in payments[2:]]
    entries += [(payments[0].reference, "RJCT", "AC04"), (payments[1].reference, "ACSP", ""), ("X-1", "ACSC", "")]
    report.write_text(pain002(message, entries))
    rows = files.read_results(report, cycle)
    assert {r["status"] for r in rows} == {"paid", "failed", "pending"}
    outcome = services.reconcile(cycle=cycle, results=rows, actor=dinsos_manager)
    assert outcome["failed"] == 1 and outcome["paid"] == len(payments) - 2
    assert [u["reference"] for u in outcome["unknown"]] == ["X-1"] and outcome["unknown"][0]["line"] == 2 + len(entries)
    assert outcome["not_final"] == [{"line": 1 + len(entries), "reference": payments[1].reference, "status": "ACSP"}]
    assert outcome["pending"] == 1 and not outcome["reconciled"]  # the pending payment keeps it open
    assert Payment.objects.get(pk=payments[0].pk).reason == "AC04 rekening tutup"
    # the bank's later report settles the pending one: now it reconciles
    report.write_text(pain002(message, [(payments[1].reference, "ACCC", "")], group="ACCC"))
    outcome = services.reconcile(cycle=cycle, results=files.read_results(report, cycle), actor=dinsos_manager)
    assert outcome["reconciled"] and outcome["paid_sum"] + outcome["failed_sum"] == cycle.control_sum


def test_a_result_file_that_cannot_be_trusted_is_refused_before_anything_is_marked(
    programme: Programme, dinsos_manager: User, tmp_path: Path
) -> None:
    cycle = prepared(programme, dinsos_manager)
    path = tmp_path / "result"
    cases = {
        pain002(f"ENTAS-C{cycle.pk + 1}-20261201090000", [("R", "ACSC", "")]): "not a file of cycle",
        pain002(f"ENTAS-C{cycle.pk}-1", [], group="RJCT"): "rejected the whole payment file",
        pain002(f"ENTAS-C{cycle.pk}-1", [], group="ACTC"): "lists no payment",
        "<Document><Other/></Document>": "not a pain.002",
        "<Document><unclosed></Document>": "not readable XML",
        "ref,status\nA,paid\n": "reference",
    }
    for content, message in cases.items():
        path.write_text(content)
        with pytest.raises(Refused, match=message):
            files.read_results(path, cycle)
    with pytest.raises(Refused, match="does not exist"):
        files.read_results(tmp_path / "missing.csv", cycle)
    path.write_text("\ufeffreference,status,reason\nA,paid,\n")
    assert files.read_results(path, cycle) == [{"line": 2, "reference": "A", "status": "paid", "reason": ""}]


def test_cash_lists_name_the_recipient_and_leave_room_to_sign(
    programme: Programme, dinsos_manager: User, approver: User, tmp_path: Path
) -> None:
    from python_calamine import CalamineWorkbook

    from entas.registry.models import Member

    cycle = disbursed(programme, dinsos_manager, approver)
    first = Payment.objects.filter(entitlement__cycle=cycle).order_by("pk").select_related("entitlement").first()
    assert first is not None
    give_accounts([first.entitlement.household_id], holder="Wali Penerima")
    rows = files.cash_rows(cycle)
    assert len(rows) == cycle.control_count and sum(r["amount"] for r in rows) == cycle.control_sum
    kelurahan = [k for k, _ in itertools.groupby(r["kelurahan"] for r in rows)]
    assert len(kelurahan) == len(set(kelurahan)) > 1  # one block per kelurahan
    by_household = {r["household"]: r["recipient"] for r in rows}
    assert by_household[first.entitlement.household_id] == "Wali Penerima"  # the named payee comes first
    other = next(h for h in by_household if h != first.entitlement.household_id)
    head = Member.objects.get(household=other, relationship="1", exited_on__isnull=True)
    assert by_household[other] == head.name

    assert files.cash_list_xlsx(cycle, tmp_path / "tunai.xlsx") == len(rows)
    sheet = CalamineWorkbook.from_path(str(tmp_path / "tunai.xlsx")).get_sheet_by_index(0).to_python()
    assert "Tanda tangan" in sheet[2] and len(sheet) == 3 + len(rows)

    assert files.cash_list_pdf(cycle, tmp_path / "tunai.pdf") == len(rows)
    pdf = (tmp_path / "tunai.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") >= len(kelurahan)  # a page break each
    text = pdf_text(pdf)
    assert "(Tanda tangan)" in text and f"(Kelurahan {kelurahan[0]})" in text and "(Lurah " in text


def test_an_empty_cash_list_says_so(programme: Programme, dinsos_manager: User, approver: User, tmp_path: Path) -> None:
    cycle = disbursed(programme, dinsos_manager, approver)
    Payment.objects.filter(entitlement__cycle=cycle).update(status="paid")
    assert files.cash_list_pdf(cycle, tmp_path / "kosong.pdf") == 0
    assert "(Tidak ada pembayaran" in pdf_text((tmp_path / "kosong.pdf").read_bytes())


def test_cycles_stay_within_the_programme_one_per_period_and_tranche(
    programme: Programme, dinsos_manager: User
) -> None:
    for bad, message in (("2026/12", "YYYY-MM"), ("2026-11", "outside the programme's period"), ("2027-06", "outside")):
        with pytest.raises(Refused, match=message):
            services.create_cycle(programme=programme, period=bad, actor=dinsos_manager)
    first = services.create_cycle(programme=programme, period="2026-12", actor=dinsos_manager)
    with pytest.raises(Refused, match="already has a cycle for 2026-12"):
        services.create_cycle(programme=programme, period="2026-12", actor=dinsos_manager)
    services.transition(cycle=first, action="cancel", actor=dinsos_manager)
    services.create_cycle(programme=programme, period="2026-12", actor=dinsos_manager)  # the cancelled one is gone
    Programme.objects.filter(pk=programme.pk).update(tranches=2)
    programme.refresh_from_db()
    services.create_cycle(programme=programme, period="2027-01", actor=dinsos_manager)
    with pytest.raises(Refused, match="2 tranches"):
        services.create_cycle(programme=programme, period="2027-02", actor=dinsos_manager)


def test_enrolling_and_exiting_by_hand(programme: Programme, dinsos_manager: User) -> None:
    from entas.registry.models import Household

    services.enrol(programme=programme, actor=dinsos_manager)
    outside = Household.objects.exclude(enrolments__programme=programme).first()
    assert outside is not None
    with pytest.raises(Refused, match="reason"):
        services.enrol_by_hand(programme=programme, household=outside, reason=" ", actor=dinsos_manager)
    services.enrol_by_hand(
        programme=programme, household=outside, reason="asesmen pekerja sosial", actor=dinsos_manager
    )
    services.enrol(programme=programme, actor=dinsos_manager)  # the rule does not select it: it stays
    cycle = prepared(programme, dinsos_manager)
    assert Entitlement.objects.filter(cycle=cycle, household=outside).exists()
    assert Enrolment.objects.get(programme=programme, household=outside).state == "enrolled"
    services.exit_household(programme=programme, household=outside, reason="pindah ke luar kota", actor=dinsos_manager)
    services.enrol(programme=programme, actor=dinsos_manager)
    membership = Enrolment.objects.get(programme=programme, household=outside)
    assert membership.state == "exited" and membership.reason == "pindah ke luar kota"
    out = StringIO()
    call_command(
        "program",
        "add",
        programme.name,
        "--kk",
        outside.kk_number,
        "--reason",
        "kembali",
        "--as",
        dinsos_manager.username,
        "--json",
        stdout=out,
    )
    assert json.loads(out.getvalue())["state"] == "enrolled"
    with pytest.raises(CommandError, match="No household"):
        call_command("program", "exit", programme.name, "--kk", "1", "--reason", "x", "--as", dinsos_manager.username)


def test_a_worker_that_dies_while_writing_a_file_leaves_the_cycle_free(
    programme: Programme, dinsos_manager: User, approver: User
) -> None:
    """Before, Cycle.locked stayed true for ever and re-running the failed job was refused."""
    import datetime as dt

    from django.utils import timezone

    from entas.core import jobqueue
    from entas.core.models import Job

    cycle = disbursed(programme, dinsos_manager, approver)
    job = jobqueue.submit(kind="programs.export", params={"cycle": cycle.pk, "format": "xlsx"}, actor=dinsos_manager)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, heartbeat_at=timezone.now())  # then the worker dies
    with pytest.raises(Refused, match=f"Job #{job.pk} is working on this cycle") as busy:
        services.reconcile(cycle=cycle, results=[], actor=dinsos_manager)
    assert busy.value.code == "busy"
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    assert jobqueue.mark_interrupted(stale_after=dt.timedelta(minutes=5)) == 1
    services.reconcile(cycle=cycle, results=[], actor=dinsos_manager)  # the cycle is free again
    again = jobqueue.execute(jobqueue.rerun(job=Job.objects.get(pk=job.pk), actor=dinsos_manager, queue=False).pk)
    assert again.status == Job.Status.SUCCEEDED


def test_the_cash_list_job_counts_the_rows_as_the_pdf_draws_them(
    programme: Programme, dinsos_manager: User, approver: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from entas.core import documents, jobqueue

    monkeypatch.setattr(documents, "PROGRESS_EVERY", 3)  # a small city: a step every three rows
    cycle = disbursed(programme, dinsos_manager, approver)
    seen: list[int] = []
    original = jobqueue.JobContext.advance

    def advance(self: jobqueue.JobContext, n: int = 1) -> None:
        seen.append(n)
        original(self, n)

    monkeypatch.setattr(jobqueue.JobContext, "advance", advance)
    job = jobqueue.submit(kind="programs.export", params={"cycle": cycle.pk, "format": "pdf"}, actor=dinsos_manager)
    done = jobqueue.execute(job.pk)
    assert done.status == "succeeded" and done.total == done.done == done.result["payments"] == cycle.control_count
    assert len(seen) > 1 and sum(seen) == cycle.control_count and max(seen) == 3  # per kelurahan: 3s, then the rest
