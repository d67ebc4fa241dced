"""camt.053 bank statements reconciling a payment cycle; the Dukcapil NIK adapter and batch."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from entas.core.errors import Refused
from entas.interop import banks, dukcapil
from entas.interop.models import Exchange
from entas.programs.models import Payment
from entas.registry.models import Household
from tests.programs.conftest import approver, programme  # noqa: F401  (fixtures)
from tests.programs.test_cycles import disbursed

pytestmark = pytest.mark.django_db


def statement(entries: list[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>STMT-2026-12-01</MsgId><CreDtTm>2026-12-01T06:00:00</CreDtTm></GrpHdr>"
        "<Stmt><Id>S1</Id><ElctrncSeqNb>1</ElctrncSeqNb><CreDtTm>2026-12-01T06:00:00</CreDtTm>"
        "<Acct><Id><Othr><Id>9876543210</Id></Othr></Id><Ccy>IDR</Ccy></Acct>"
        '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="IDR">1000000000</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-01</Dt></Dt></Bal>"
        + "".join(entries)
        + "</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def entry(reference: str, amount: int, *, reversal: bool = False, reason: str = "") -> str:
    rvsl = "<RvslInd>true</RvslInd>" if reversal else ""
    rtr = f"<RtrInf><Rsn><Cd>{reason}</Cd></Rsn></RtrInf>" if reason else ""
    return (
        f'<Ntry><NtryRef>{reference}</NtryRef><Amt Ccy="IDR">{amount}.00</Amt>'
        f"<CdtDbtInd>DBIT</CdtDbtInd>{rvsl}<Sts>BOOK</Sts>"
        "<BookgDt><Dt>2026-12-01</Dt></BookgDt><ValDt><Dt>2026-12-01</Dt></ValDt><BkTxCd/>"
        f"<NtryDtls><TxDtls><Refs><EndToEndId>{reference}</EndToEndId></Refs>{rtr}</TxDtls></NtryDtls></Ntry>"
    )


def test_camt053_reconciles_a_cycle(tmp_path: Path, programme: Any, dinsos_manager: Any, approver: Any) -> None:  # noqa: F811
    cycle = disbursed(programme, dinsos_manager, approver)
    payments = list(Payment.objects.filter(entitlement__cycle=cycle).order_by("pk"))
    entries = [entry(p.reference, p.amount) for p in payments[2:]]
    entries.append(entry(payments[0].reference, payments[0].amount, reversal=True, reason="AC04"))
    entries.append(entry(payments[1].reference, payments[1].amount + 1))  # wrong amount
    entries.append(entry("NOT-OURS-1", 5000))
    file = tmp_path / "camt053.xml"
    file.write_bytes(statement(entries))
    out = StringIO()
    call_command("exchange", "camt053", str(file), "--cycle", str(cycle.pk), "--as", "dinsos1", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["entries"] == len(payments) + 1
    assert result["paid"] == len(payments) - 2 and result["failed"] == 1
    assert [u["reference"] for u in result["unknown"]] == ["NOT-OURS-1"]
    assert [m["reference"] for m in result["amount_mismatch"]] == [payments[1].reference]
    assert not result["reconciled"]  # one payment still waits for its result
    assert (
        Payment.objects.get(pk=payments[0].pk).status == "failed"
        and "AC04" in Payment.objects.get(pk=payments[0].pk).reason
    )
    assert Exchange.objects.get(kind="bank_statement").counts["paid"] == len(payments) - 2
    # the last payment's correct entry completes the reconciliation
    file.write_bytes(statement([entry(payments[1].reference, payments[1].amount)]))
    assert banks.reconcile_statement(file, cycle_id=cycle.pk, actor=dinsos_manager)["reconciled"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.002.001.03'/>", "not a camt.053"),
        (statement(["<Ntry><Amt Ccy='IDR'>abc</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts></Ntry>"]), "schema"),
        (statement(["<Ntry><Amt Ccy='IDR'>10</Amt><CdtDbtInd>DEBIT</CdtDbtInd><Sts>BOOK</Sts></Ntry>"]), "schema"),
        (statement([]).replace(b"<GrpHdr><MsgId>STMT-2026-12-01</MsgId>", b"<GrpHdr>"), "schema"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Document/>', "document type"),
    ],
)
def test_camt053_is_validated(tmp_path: Path, content: bytes, message: str) -> None:
    file = tmp_path / "s.xml"
    file.write_bytes(content)
    with pytest.raises(Refused, match=message):
        banks.validate(file, "s.xml")


def test_dukcapil_local_adapter_and_offline_batch(
    tmp_path: Path, dinsos_manager: Any, manggar_household: Household
) -> None:
    member = manggar_household.members.order_by("pk").first()
    queries = [
        dukcapil.NikQuery(member.nik, member.name, member.birth_date),
        dukcapil.NikQuery(member.nik, "Someone Else", member.birth_date),
        dukcapil.NikQuery("6471010101809999"),
        dukcapil.NikQuery("12345"),
    ]
    assert [a.status for a in dukcapil.verifier().verify(queries)] == ["valid", "mismatch", "not_found", "invalid"]
    request = tmp_path / "nik.csv"
    request.write_text(
        f"nik,nama,tanggal_lahir\n{member.nik},{member.name},{member.birth_date}\n12345,X,\n", encoding="utf-8"
    )
    out = tmp_path / "answers.csv"
    stdout = StringIO()
    call_command("exchange", "nik-batch", str(request), "--out", str(out), "--as", "dinsos1", "--json", stdout=stdout)
    assert json.loads(stdout.getvalue())["valid"] == 1
    assert [(a.nik, a.status) for a in dukcapil.read_answers(out)] == [(member.nik, "valid"), ("12345", "invalid")]


def test_a_configured_adapter_is_used(settings: Any) -> None:
    settings.ENTAS_DUKCAPIL_ADAPTER = "tests.interop.test_banks_dukcapil.AlwaysValid"
    assert dukcapil.verifier().verify([dukcapil.NikQuery("1")])[0].status == "valid"


class AlwaysValid:
    def verify(self, queries: list[dukcapil.NikQuery]) -> list[dukcapil.NikAnswer]:
        return [dukcapil.NikAnswer(q.nik, "valid") for q in queries]
