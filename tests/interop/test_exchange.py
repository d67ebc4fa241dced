"""SIKS-NG export and DTSEN import: the round trip, row-level accounting, the comparison."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from entas.core.errors import Refused
from entas.interop import exchange
from entas.interop.models import Exchange, NationalRecord
from entas.registry.models import Household

pytestmark = pytest.mark.django_db


def ratify(household: Household, when: dt.datetime) -> None:
    Household.objects.filter(pk=household.pk).update(verification_status="disahkan", ratified_at=when)


def test_siks_export_round_trip(
    tmp_path: Path, dinsos_manager: Any, manggar_household: Household, damai_household: Household
) -> None:
    ratify(manggar_household, timezone.make_aware(dt.datetime(2026, 11, 20, 10)))
    ratify(damai_household, timezone.make_aware(dt.datetime(2026, 10, 20, 10)))  # another period
    out = tmp_path / "bnba.csv"
    stdout = StringIO()
    call_command(
        "exchange",
        "siks-ng",
        "--period",
        "2026-11",
        "--berita-acara",
        "BA/DINSOS/11/2026",
        "--out",
        str(out),
        "--as",
        "dinsos1",
        "--json",
        stdout=stdout,
    )
    result = json.loads(stdout.getvalue())
    assert result["households"] == 1 and result["people"] == 3
    rows = exchange.read_bnba(out)
    assert {r["NO_KK"] for r in rows} == {manggar_household.kk_number}
    city = {m.nik: m for m in manggar_household.members.all()}
    assert {r["NIK"] for r in rows} == set(city)
    for row in rows:
        member = city[row["NIK"]]
        assert row["NAMA"] == member.name and row["TANGGAL_LAHIR"] == member.birth_date.isoformat()
        assert row["JENIS_KELAMIN"] == ("L" if member.sex == "1" else "P")
        assert row["NO_BA_PENGESAHAN"] == "BA/DINSOS/11/2026" and row["TANGGAL_PENGESAHAN"] == "2026-11-20"
        assert row["KODE_WILAYAH"] == manggar_household.kelurahan.code
    assert Exchange.objects.get(kind="siks_export").period == "2026-11"
    with pytest.raises(Refused, match="one file per period"):
        exchange.export_siks(actor=dinsos_manager, period="2026-11", berita_acara="BA/2")


def test_operator_may_not_exchange(operator_manggar: Any) -> None:
    with pytest.raises(Refused):
        exchange.export_siks(actor=operator_manggar, period="2026-11", berita_acara="BA")


def test_dtsen_import_accounts_for_every_row(
    tmp_path: Path, dinsos_manager: Any, manggar_household: Household, damai_household: Household
) -> None:
    Household.objects.filter(pk=damai_household.pk).update(desil_national=3, desil_date=dt.date(2026, 6, 1))
    head = manggar_household.members.get(relationship="1")
    file = tmp_path / "dtsen.csv"
    file.write_text(
        "no_kk,nik_kepala,desil_nasional,desil_kabkota,status_dtsen,jumlah_art,tanggal_data\n"
        f"{manggar_household.kk_number},{head.nik},2,1,AKTIF,3,2026-11-01\n"
        f"{damai_household.kk_number},,3,,AKTIF,5,2026-06-01\n"
        "6471019999999999,,4,,AKTIF,2,2026-11-01\n"
        "12345,,4,,AKTIF,2,2026-11-01\n"
        f"{manggar_household.kk_number},,11,,AKTIF,3,2026-11-01\n",
        encoding="utf-8",
    )
    stdout = StringIO()
    call_command("exchange", "dtsen-import", str(file), "--as", "dinsos1", "--json", "--no-progress", stdout=stdout)
    result = json.loads(stdout.getvalue())
    assert (result["total"], result["updated"], result["unchanged"], result["rejected"]) == (5, 1, 1, 3)
    assert result["total"] == result["updated"] + result["unchanged"] + result["rejected"] + result["inserted"]
    rejected = Path(result["rejection_file"]).read_text(encoding="utf-8-sig")
    assert "not in the city's registry" in rejected and "16 digits" in rejected and "1 to 10" in rejected
    manggar_household.refresh_from_db()
    assert (manggar_household.desil_national, manggar_household.desil_city, manggar_household.desil_date) == (
        2,
        1,
        dt.date(2026, 11, 1),
    )
    assert NationalRecord.objects.count() == 3
    record = Exchange.objects.get(kind="dtsen_import")
    differences = {(d.kind, d.kk_number) for d in exchange.differences(dinsos_manager, record)}
    assert ("missing_city", "6471019999999999") in differences
    assert ("members", damai_household.kk_number) in differences  # 4 here, 5 nationally
    assert not any(k == "members" and kk == manggar_household.kk_number for k, kk in differences)


def test_comparison_lists_ratified_families_missing_nationally(
    tmp_path: Path, dinsos_manager: Any, manggar_household: Household, damai_household: Household
) -> None:
    ratify(damai_household, timezone.now())
    file = tmp_path / "dtsen.csv"
    file.write_text(f"no_kk,desil_nasional,status_dtsen\n{manggar_household.kk_number},5,AKTIF\n", encoding="utf-8")
    call_command("exchange", "dtsen-import", str(file), "--as", "dinsos1", "--no-progress", stdout=StringIO())
    record = Exchange.objects.get(kind="dtsen_import")
    kinds = {(d.kind, d.kk_number) for d in exchange.differences(dinsos_manager, record)}
    assert ("missing_national", damai_household.kk_number) in kinds
