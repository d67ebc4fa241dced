"""The import's accounting: every row lands or is rejected with its reasons, nothing is lost."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from entas.accounts.models import User
from entas.core.models import AuditEvent
from entas.registry import importer as importer_module
from entas.registry import parsing, reading
from entas.registry.exporter import export_registry
from entas.registry.fileformats import FileFormatError
from entas.registry.importer import ImportSummary, import_registry
from entas.registry.models import Household, KKNumber, Member, Membership, ProgrammeReceipt
from tests.registry.helpers import family, standard_family, write_csv

pytestmark = pytest.mark.django_db

MANGGAR, DAMAI = "64.71.01.1001", "64.71.06.1005"


def run(path: Path, tmp_path: Path, actor: User | None = None, **kwargs: Any) -> ImportSummary:
    return import_registry(path, actor=actor, rejection_path=tmp_path / "rejected.csv", **kwargs)


def manggar_families(n: int) -> list[dict[str, Any]]:
    """``n`` good families of three in Manggar, KK 6471010101200010 onwards."""
    rows: list[dict[str, Any]] = []
    for i in range(n):
        rows += standard_family(MANGGAR, f"64710101012000{i + 10:02d}", serial=1000 + 10 * i)
    return rows


def rejected_rows(summary: ImportSummary) -> dict[int, str]:
    assert summary.rejection_file
    with open(summary.rejection_file, encoding="utf-8-sig") as handle:
        return {int(r["row_number"]): r["reasons"] for r in csv.DictReader(handle)}


def test_a_clean_file_lands_whole(regions: Any, tmp_path: Path) -> None:
    rows = standard_family(
        MANGGAR, "6471010101200001", floor_area_m2=36, has_tv=1, prog_pkh="2025-03"
    ) + standard_family(DAMAI, "6471060101200002", serial=2000)
    summary = run(write_csv(tmp_path / "f.csv", rows), tmp_path)
    assert (summary.inserted, summary.updated, summary.unchanged, summary.rejected, summary.total) == (6, 0, 0, 0, 6)
    assert summary.rejection_file is None
    household = Household.objects.get(kk_number="6471010101200001")
    assert household.floor_area_m2 == 36 and household.has_tv is True and household.kelurahan.code == MANGGAR
    assert household.members.count() == 3
    assert ProgrammeReceipt.objects.get(household=household).month == dt.date(2025, 3, 1)
    assert KKNumber.objects.filter(household=household, kk_number="6471010101200001").exists()
    assert Membership.objects.filter(household=household, end_date__isnull=True).count() == 3
    assert Member.objects.filter(name="Siti Sintetis").first().name_key == "siti sintetis"  # type: ignore[union-attr]


def test_mixed_good_and_bad_rows_keep_the_good_and_hold_back_bad_families_whole(regions: Any, tmp_path: Path) -> None:
    good = standard_family(MANGGAR, "6471010101200001")
    bad = standard_family(MANGGAR, "6471010101200003", serial=3000)
    bad[1]["nik"] = "12345"  # row 6 of the file
    bad[2]["birth_date"] = "31-31-2010"  # row 7
    summary = run(write_csv(tmp_path / "f.csv", good + bad), tmp_path)
    assert (summary.inserted, summary.rejected, summary.total) == (3, 3, 6)
    reasons = rejected_rows(summary)
    assert set(reasons) == {5, 6, 7}
    assert "NIK '12345' must be exactly 16 digits" in reasons[6]
    assert "birth_date: '31-31-2010' is not a date" in reasons[7]
    assert "Held back with its family" in reasons[5]
    assert not Household.objects.filter(kk_number="6471010101200003").exists()


def test_the_four_counts_add_up_to_the_input(regions: Any, tmp_path: Path) -> None:
    first = standard_family(MANGGAR, "6471010101200001")
    run(write_csv(tmp_path / "a.csv", first), tmp_path)
    changed = standard_family(MANGGAR, "6471010101200001")
    changed[2]["name"] = "Andi Sintetis Baru"
    new = standard_family(MANGGAR, "6471010101200004", serial=4000)
    broken = standard_family(MANGGAR, "6471010101200005", serial=5000)
    broken[0]["relationship"] = "3"  # no head
    summary = run(write_csv(tmp_path / "b.csv", changed + new + broken), tmp_path)
    assert (summary.inserted, summary.updated, summary.unchanged, summary.rejected) == (3, 1, 2, 3)
    assert summary.total == 9


def test_reimporting_the_same_file_changes_nothing(regions: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", standard_family(MANGGAR, "6471010101200001", floor_area_m2=40))
    run(path, tmp_path)
    changes = AuditEvent.objects.exclude(action="registry.import")  # the import's own record aside
    events = changes.count()
    again = run(path, tmp_path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert changes.count() == events
    assert Household.objects.get().version == 1


def test_an_updated_file_updates_by_kk_and_nik_and_records_the_change(regions: Any, tmp_path: Path) -> None:
    run(write_csv(tmp_path / "a.csv", standard_family(MANGGAR, "6471010101200001", floor_area_m2=40)), tmp_path)
    summary = run(
        write_csv(tmp_path / "b.csv", standard_family(MANGGAR, "6471010101200001", floor_area_m2=45)), tmp_path
    )
    assert summary.updated == 3  # the family changed, so each of its rows counts as updated
    household = Household.objects.get()
    assert household.floor_area_m2 == 45 and household.version == 2
    event = AuditEvent.objects.get(action="household.import_update")
    assert (event.before, event.after) == ({"floor_area_m2": 40}, {"floor_area_m2": 45})


def test_duplicated_niks_within_the_file_are_rejected(regions: Any, tmp_path: Path) -> None:
    one = standard_family(MANGGAR, "6471010101200001")
    two = standard_family(MANGGAR, "6471010101200006", serial=6000)
    two[0]["nik"] = one[0]["nik"]
    two[0]["birth_date"] = one[0]["birth_date"]
    summary = run(write_csv(tmp_path / "f.csv", one + two), tmp_path)
    reasons = rejected_rows(summary)
    assert f"NIK {one[0]['nik']} also appears at row 2" in reasons[5]
    assert summary.inserted == 3 and summary.rejected == 3


def test_a_nik_registered_in_another_family_is_rejected_naming_it(
    regions: Any, tmp_path: Path, operator_manggar: User, operator_damai: User
) -> None:
    original = standard_family(MANGGAR, "6471010101200001")
    run(write_csv(tmp_path / "a.csv", original), tmp_path)
    moved = standard_family(MANGGAR, "6471010101200007", serial=7000)
    moved[0] = {**moved[0], "nik": original[0]["nik"], "birth_date": original[0]["birth_date"]}
    summary = run(write_csv(tmp_path / "b.csv", moved), tmp_path, actor=operator_manggar)
    assert "already registered in family KK 6471010101200001 (Kelurahan Manggar)" in rejected_rows(summary)[2]
    # An operator elsewhere learns only that it exists outside their areas.
    moved_damai = family(DAMAI, "6471060101200008", [("X", "1", dt.date(1980, 1, 1), "1")])
    moved_damai[0]["nik"] = original[0]["nik"]
    summary = run(write_csv(tmp_path / "c.csv", moved_damai), tmp_path, actor=operator_damai)
    reason = rejected_rows(summary)[2]
    assert "outside your areas" in reason and "6471010101200001" not in reason


def test_an_operator_cannot_import_into_another_kelurahan(regions: Any, tmp_path: Path, operator_manggar: User) -> None:
    summary = run(
        write_csv(tmp_path / "f.csv", standard_family(DAMAI, "6471060101200002")), tmp_path, actor=operator_manggar
    )
    assert summary.rejected == 3
    assert "outside your areas" in rejected_rows(summary)[2]
    assert not Household.objects.exists()


def test_rows_of_a_family_must_be_consecutive(regions: Any, tmp_path: Path) -> None:
    a = standard_family(MANGGAR, "6471010101200001")
    b = standard_family(MANGGAR, "6471010101200009", serial=9000)
    summary = run(write_csv(tmp_path / "f.csv", a[:2] + b + a[2:]), tmp_path)
    assert summary.rejected == 1 and "must be consecutive" in rejected_rows(summary)[7]
    assert summary.total == 6


def test_household_columns_that_differ_between_rows_are_rejected(regions: Any, tmp_path: Path) -> None:
    rows = standard_family(MANGGAR, "6471010101200001", floor_area_m2=40)
    rows[1]["floor_area_m2"] = "41"
    summary = run(write_csv(tmp_path / "f.csv", rows), tmp_path)
    assert summary.rejected == 3 and "floor_area_m2 differ from row 2" in rejected_rows(summary)[3]


def test_semicolons_and_windows_1252_are_read(regions: Any, tmp_path: Path) -> None:
    rows = standard_family(MANGGAR, "6471010101200001", address="Jl. Café Nº 5")
    summary = run(write_csv(tmp_path / "f.csv", rows, delimiter=";", encoding="cp1252"), tmp_path)
    assert summary.inserted == 3
    assert Household.objects.get().address == "Jl. Café Nº 5"


def test_a_utf8_file_with_bom_is_read(regions: Any, tmp_path: Path) -> None:
    summary = run(
        write_csv(tmp_path / "f.csv", standard_family(MANGGAR, "6471010101200001"), encoding="utf-8-sig"), tmp_path
    )
    assert summary.inserted == 3


def test_missing_required_columns_reject_the_file_with_a_clear_message(regions: Any, tmp_path: Path) -> None:
    rows = [{k: v for k, v in r.items() if k != "birth_date"} for r in standard_family(MANGGAR, "6471010101200001")]
    with pytest.raises(FileFormatError, match="birth_date"):
        run(write_csv(tmp_path / "f.csv", rows), tmp_path)
    assert not Household.objects.exists()


def test_unknown_columns_are_reported_and_ignored(regions: Any, tmp_path: Path) -> None:
    rows = [{**r, "catatan": "x"} for r in standard_family(MANGGAR, "6471010101200001")]
    summary = run(write_csv(tmp_path / "f.csv", rows), tmp_path)
    assert summary.unknown_columns == ["catatan"] and summary.inserted == 3


def test_a_dry_run_counts_and_writes_nothing(regions: Any, tmp_path: Path) -> None:
    summary = run(write_csv(tmp_path / "f.csv", standard_family(MANGGAR, "6471010101200001")), tmp_path, dry_run=True)
    assert summary.inserted == 3 and summary.dry_run
    assert not Household.objects.exists()


def test_a_crash_mid_import_leaves_whole_families_and_a_rerun_finishes(
    regions: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "f.csv", manggar_families(6))
    monkeypatch.setattr(parsing, "BATCH_ROWS", 6)  # two families per batch,
    monkeypatch.setattr(importer_module, "COMMIT_ROWS", 6)  # one batch per transaction
    calls = {"n": 0}
    original = importer_module.Importer._apply

    def crash_on_second_batch(self: Any, *args: Any, write: bool) -> None:
        calls["n"] += 1
        original(self, *args, write=write)
        if calls["n"] == 2:
            raise KeyboardInterrupt("killed")

    monkeypatch.setattr(importer_module.Importer, "_apply", crash_on_second_batch)
    with pytest.raises(KeyboardInterrupt):
        run(path, tmp_path)
    assert Household.objects.count() == 2  # the first batch; the second rolled back whole
    assert all(h.members.count() == 3 for h in Household.objects.all())
    monkeypatch.setattr(importer_module.Importer, "_apply", original)
    summary = run(path, tmp_path)
    assert (summary.inserted, summary.unchanged) == (12, 6)
    assert Household.objects.count() == 6


def test_a_large_file_is_read_in_a_process_of_its_own_with_the_same_result(
    regions: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = standard_family(MANGGAR, "6471010101200001")
    bad = standard_family(MANGGAR, "6471010101200003", serial=3000)
    bad[1]["nik"] = "12345"
    repeated = standard_family(DAMAI, "6471060101200002", serial=2000)
    repeated[0]["nik"] = good[0]["nik"]  # a NIK already in the file
    path = write_csv(tmp_path / "f.csv", good + bad + repeated)
    in_process = run(path, tmp_path, dry_run=True)
    expected = rejected_rows(in_process)
    monkeypatch.setattr(reading, "PARALLEL_MIN_ROWS", 0)  # this file is "large": read beside
    readers: list[Path] = []

    def read_in_process(path: Path, context: reading.ParseContext, name: str | None = None, text: Any = None) -> Any:
        readers.append(path)
        assert text is not None and text.encoding == "utf-8-sig"  # sniffed once, handed to the reader
        return reading.read_in_process(path, context, name, text)

    monkeypatch.setattr(importer_module, "read_in_process", read_in_process)
    summary = run(path, tmp_path)
    assert readers == [path]
    assert (summary.inserted, summary.rejected) == (in_process.inserted, in_process.rejected) == (3, 6)
    assert rejected_rows(summary) == expected  # same rows, same reasons, in the user's language
    assert "also appears at row 2" in expected[8]
    assert Member.objects.count() == Membership.objects.count() == 3


def test_a_failing_import_stops_its_reading_process(
    regions: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    rows = manggar_families(4)
    monkeypatch.setattr(reading, "PARALLEL_MIN_ROWS", 0)

    def fail(self: Any, *args: Any, write: bool) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer_module.Importer, "_apply", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        run(write_csv(tmp_path / "f.csv", rows), tmp_path)
    assert not [t for t in threading.enumerate() if t.name == "entas-import-reader"]
    assert Household.objects.count() == 0


@pytest.mark.parametrize(("language", "message"), [("en", "does not exist"), ("id", "tidak ada")])
def test_the_reading_process_reports_a_file_it_cannot_read(tmp_path: Path, language: str, message: str) -> None:
    context = parsing.ParseContext(frozenset(), {}, frozenset(), dt.date(2026, 1, 1), language)
    with pytest.raises(FileFormatError, match=message):
        list(reading.read_in_process(tmp_path / "missing.csv", context))


def test_warnings_do_not_reject(regions: Any, tmp_path: Path) -> None:
    rows = family(
        MANGGAR,
        "6471010101200001",
        [
            ("Kepala", "1", dt.date(1990, 1, 1), "1"),
            ("Anak Lebih Tua", "1", dt.date(1950, 1, 1), "3"),  # a child older than the head: a warning
        ],
    )
    summary = run(write_csv(tmp_path / "f.csv", rows), tmp_path)
    assert summary.inserted == 2 and summary.warnings >= 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_an_export_reimports_unchanged(regions: Any, tmp_path: Path, dinsos_manager: User, fmt: str) -> None:
    rows = standard_family(
        MANGGAR, "6471010101200001", floor_area_m2=36, has_tv=0, water_source=3, prog_bpnt="2025-01"
    ) + standard_family(DAMAI, "6471060101200002", serial=2000)
    run(write_csv(tmp_path / "f.csv", rows), tmp_path)
    out = tmp_path / f"export.{fmt}"
    assert export_registry(dinsos_manager, out, fmt) == 6
    if fmt == "parquet":
        import duckdb

        assert duckdb.read_parquet(str(out)).aggregate("count(*)").fetchall()[0][0] == 6
        return
    summary = run(out, tmp_path)
    assert (summary.unchanged, summary.total) == (6, 6), rejected_rows(summary) if summary.rejected else summary


def test_the_export_holds_only_what_the_user_may_see(regions: Any, tmp_path: Path, operator_manggar: User) -> None:
    rows = standard_family(MANGGAR, "6471010101200001") + standard_family(DAMAI, "6471060101200002", serial=2000)
    run(write_csv(tmp_path / "f.csv", rows), tmp_path)
    out = tmp_path / "mine.csv"
    assert export_registry(operator_manggar, out, "csv") == 3
    assert "6471060101200002" not in out.read_text()


@pytest.mark.django_db(transaction=True)
def test_a_large_import_refreshes_the_planner_statistics(
    regions: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a large import (here: made "large" at 3 members) the database's statistics are refreshed, so
    queries are not planned for the empty tables of before; a dry run or a small import leaves them."""
    calls: list[str] = []
    real = importer_module._refresh_statistics
    monkeypatch.setattr(importer_module, "ANALYZE_AFTER", 3)
    monkeypatch.setattr(importer_module, "_refresh_statistics", lambda: (calls.append("analyze"), real())[1])
    rows = standard_family(MANGGAR, "6471010101200001")
    run(write_csv(tmp_path / "f.csv", rows), tmp_path, dry_run=True)
    assert calls == []
    run(write_csv(tmp_path / "f.csv", rows), tmp_path)
    assert calls == ["analyze"]
    run(write_csv(tmp_path / "f.csv", rows), tmp_path)  # nothing new: nothing to refresh
    assert calls == ["analyze"]


def test_the_partitioned_parquet_export_holds_ids_and_partitions_by_kecamatan(
    regions: Any, tmp_path: Path, dinsos_manager: User, operator_manggar: User
) -> None:
    """entas export parquet: the import-format rows with household and member ids, in
    kabupaten=…/kecamatan=… folders; only what the user may see; never into a folder holding files."""
    import io

    import pyarrow.dataset as ds
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from entas.registry.models import Member

    rows = standard_family(MANGGAR, "6471010101200001", floor_area_m2=36) + standard_family(
        DAMAI, "6471060101200002", serial=2000
    )
    run(write_csv(tmp_path / "f.csv", rows), tmp_path)
    out = tmp_path / "export"
    call_command("export", "parquet", "--out", str(out), "--as", dinsos_manager.username, stdout=io.StringIO())
    folders = sorted(str(p.parent.relative_to(out)) for p in out.rglob("*.parquet"))
    assert folders == ["kabupaten=64.71/kecamatan=64.71.01", "kabupaten=64.71/kecamatan=64.71.06"]
    columns = ["household_id", "member_id", "nik", "kk_number", "kecamatan", "floor_area_m2"]
    table = ds.dataset(str(out), format="parquet", partitioning="hive").to_table(columns=columns)
    got = sorted(tuple(r[c] for c in columns) for r in table.to_pylist())
    expected = Member.objects.order_by("household_id", "pk").values_list(
        "household_id", "pk", "nik", "household__kk_number"
    )
    assert [r[:4] for r in got] == [tuple(e) for e in expected]
    assert {r[4] for r in got} == {"64.71.01", "64.71.06"} and got[0][5] == "36"
    mine = tmp_path / "mine"
    call_command("export", "parquet", "--out", str(mine), "--as", operator_manggar.username, stdout=io.StringIO())
    assert [str(p.parent.relative_to(mine)) for p in mine.rglob("*.parquet")] == ["kabupaten=64.71/kecamatan=64.71.01"]
    with pytest.raises(CommandError, match="not empty"):
        call_command("export", "parquet", "--out", str(out), "--as", dinsos_manager.username)
