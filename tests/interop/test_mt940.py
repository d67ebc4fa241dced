"""SWIFT MT940 statements reconciling a payment cycle, through the same reconciliation as camt.053."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from entas.core.errors import Refused
from entas.interop import banks, mt940_statements
from entas.interop.models import Exchange
from entas.programs.models import Payment
from tests.programs.conftest import approver, programme  # noqa: F401  (fixtures)
from tests.programs.test_cycles import disbursed

OPENING = 1_000_000_000


def amount(value: int) -> str:
    return f"{value},00"


def line(reference: str, value: int, *, mark: str = "D", info: str = "") -> list[str]:
    """A :61: statement line with its :86: (the end-to-end reference as /EREF/)."""
    return [
        f":61:2612011201{mark}{amount(value)}NTRF{reference[:16]}//B{len(reference)}",
        f":86:/EREF/{reference}{info}",
    ]


def mt940(
    lines: list[list[str]], *, opening: int = OPENING, closing: int | None = None, envelope: bool = False
) -> bytes:
    moved = 0
    for entry in lines:
        head = entry[0][4:]
        mark_at = 10
        mark = head[mark_at : mark_at + 2] if head[mark_at] == "R" else head[mark_at]
        digits = head[mark_at + len(mark) :].split(",")[0]
        sign = -1 if mark in ("D", "RC") else 1
        moved += sign * int(digits)
    end = opening + moved if closing is None else closing
    body = [
        ":20:STMT20261201",
        ":25:BPDKALTIM/0011223344",
        ":28C:00335/001",
        f":60F:C261130IDR{amount(opening)}",
        *[row for entry in lines for row in entry],
        f":62F:C261201IDR{amount(end)}",
        f":64:C261201IDR{amount(end)}",
    ]
    text = "\r\n".join(body) + "\r\n"
    if envelope:
        text = (
            "{1:F01BPDKIDJ1AXXX0000000000}{2:O9401200261201BPDKIDJ1AXXX00000000002612011200N}{4:\r\n"
            + text
            + "-}{5:{CHK:0123456789AB}}"
        )
    return text.encode()


pytestmark = pytest.mark.django_db


def test_mt940_reconciles_a_cycle_like_camt053(
    tmp_path: Path,
    programme: Any,  # noqa: F811
    dinsos_manager: Any,
    approver: Any,  # noqa: F811
) -> None:
    cycle = disbursed(programme, dinsos_manager, approver)
    payments = list(Payment.objects.filter(entitlement__cycle=cycle).order_by("pk"))
    lines = [line(p.reference, p.amount) for p in payments[2:]]
    # a transfer debited, then put back (reversal of the debit): failed
    lines.append(line(payments[0].reference, payments[0].amount))
    lines.append(line(payments[0].reference, payments[0].amount, mark="RD", info="/RTRN/AC04/"))
    lines.append(line(payments[1].reference, payments[1].amount + 1))  # wrong amount: reported, not taken
    lines.append(line("NOT-OURS-1", 5000))  # unknown reference
    lines.append([":61:2612011201C250000,00NTRFNONREF//X1", ":86:/REMI/setoran kas"])  # money in: not read
    file = tmp_path / "bpd-kaltim.sta"
    file.write_bytes(mt940(lines, envelope=True))
    out = StringIO()
    call_command("exchange", "statement", str(file), "--cycle", str(cycle.pk), "--as", "dinsos1", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["format"] == "mt940"
    assert result["entries"] == len(payments) + 2
    assert result["paid"] == len(payments) - 2 and result["failed"] == 1  # the later, reversing line wins
    assert [u["reference"] for u in result["unknown"]] == ["NOT-OURS-1"]
    assert [m["reference"] for m in result["amount_mismatch"]] == [payments[1].reference]
    assert not result["reconciled"]  # the wrong amount's payment still waits (partial)
    failed = Payment.objects.get(pk=payments[0].pk)
    assert failed.status == "failed" and "AC04" in failed.reason
    assert Exchange.objects.filter(kind="bank_statement").latest("pk").counts["format"] == "mt940"
    # the missing payment's own line completes the reconciliation
    file.write_bytes(mt940([line(payments[1].reference, payments[1].amount)]))
    done = banks.reconcile_statement(file, cycle_id=cycle.pk, actor=dinsos_manager, fmt="mt940")
    assert done["reconciled"] and done["paid"] == 1


def test_the_reference_falls_back_to_the_account_owners_reference(tmp_path: Path) -> None:
    file = tmp_path / "s.txt"
    file.write_bytes(mt940([[":61:2612011201D150000,00NTRFENTAS-9-77//B1"]]))
    assert mt940_statements.read(file, "s.txt") == [
        {"line": 5, "reference": "ENTAS-9-77", "amount": 150000, "status": "paid", "reason": ""}
    ]
    assert banks.detect_format(file) == "mt940"


def test_a_statement_whose_balances_do_not_add_up_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "s.txt"
    file.write_bytes(mt940([line("ENTAS-1-1", 150000)], closing=OPENING))  # the debit is missing from the closing
    with pytest.raises(Refused) as refused:
        mt940_statements.read(file, "s.txt")
    assert "Line 7: the balances do not add up" in refused.value.message
    assert "1000000000.00" in refused.value.message and "999850000.00" in refused.value.message


def test_a_truncated_file_is_refused(tmp_path: Path) -> None:
    whole = mt940([line("ENTAS-1-1", 150000), line("ENTAS-1-2", 150000)]).decode()
    file = tmp_path / "s.txt"
    file.write_text(whole[: whole.index(":62F:")], encoding="utf-8")
    with pytest.raises(Refused, match=r"Line 8: the statement ends without its closing balance"):
        mt940_statements.read(file, "s.txt")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ((":61:2612011201D150000,00NTRF", ":61:26121X1201D150000,00NTRF"), r"Line 5: field :61: cannot be read"),
        ((":60F:C261130IDR", ":60F:X261130IDR"), r"Line 4: field :60F: cannot be read"),
        ((":28C:00335/001", ":99X:what"), r"Line 3: unknown field :99X:"),
        ((":20:STMT20261201", "garbage before\r\n:20:STMT20261201"), r"Line 1: text outside a field"),
        ((":25:BPDKALTIM/0011223344\r\n", ""), r"lacks its field :25:"),
        ((":62F:C261201IDR", ":62F:C261201USD"), r"Line 7: the closing balance is in another currency"),
    ],
)
def test_malformed_fields_are_refused_with_their_line(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    file = tmp_path / "s.txt"
    file.write_bytes(mt940([line("ENTAS-1-1", 150000)]).replace(change[0].encode(), change[1].encode(), 1))
    with pytest.raises(Refused, match=message):
        mt940_statements.read(file, "s.txt")


def test_the_format_is_detected_or_refused(tmp_path: Path) -> None:
    file = tmp_path / "s.csv"
    file.write_bytes(b"reference,status\nENTAS-1-1,paid\n")
    with pytest.raises(Refused, match=r"neither a camt\.053"):
        banks.read_statement(file, "s.csv")
    file.write_bytes(b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"/>')
    with pytest.raises(Refused, match=r"not a camt\.053"):
        banks.read_statement(file, "s.csv")
    with pytest.raises(Refused, match="not an MT940"):
        banks.read_statement(file, "s.csv", "mt940")


def test_the_exchange_page_reconciles_an_mt940_in_a_job(
    client_for: Any,
    programme: Any,  # noqa: F811
    dinsos_manager: Any,
    approver: Any,  # noqa: F811
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from entas.core import jobqueue
    from entas.core.models import Job

    cycle = disbursed(programme, dinsos_manager, approver)
    payment = Payment.objects.filter(entitlement__cycle=cycle).order_by("pk").first()
    assert payment is not None
    content = mt940([line(payment.reference, payment.amount)])
    client = client_for(dinsos_manager)
    response = client.post(
        "/interop/",
        {
            "action": "camt",
            "camt-cycle": cycle.pk,
            "camt-format": "auto",
            "camt-file": SimpleUploadedFile("statement.sta", content),
        },
    )
    assert response.status_code == 302
    job = jobqueue.execute(Job.objects.get(kind="interop.camt053").pk)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result["format"] == "mt940" and job.result["paid"] == 1
    assert Payment.objects.get(pk=payment.pk).status == "paid"


def test_several_statements_in_one_file_are_read_one_after_the_other(tmp_path: Path) -> None:
    first = mt940([line("ENTAS-1-1", 150000)])
    second = mt940([line("ENTAS-1-2", 200000)], opening=OPENING - 150000)
    file = tmp_path / "s.txt"
    file.write_bytes(first + second)
    assert [e["reference"] for e in mt940_statements.read(file, "s.txt")] == ["ENTAS-1-1", "ENTAS-1-2"]
    # the second statement's balances are checked on their own, with the file's line numbers
    file.write_bytes(first + mt940([line("ENTAS-1-2", 200000)], closing=OPENING))
    with pytest.raises(Refused, match=r"Line 15: the balances do not add up") as refused:
        mt940_statements.read(file, "s.txt")
    assert "Line 7" not in refused.value.message
