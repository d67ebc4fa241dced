"""Hostile files for every upload: each is refused with a clear message (or read, when it is only
unusual), nothing is written, and the process reading it lives on (docs/security-notes/uploads.md).

Uploads: the registry import, the payees' accounts import, the policy register's realisation
import and an outreach event's sign-in sheet (page → background job), a campaign's materials, the bank's
result file on the cycle page (reconciliation), the reference data page (poverty lines, survey
rounds), and the files of the commands (survey, poverty lines, regions, boundaries, the affected
households of shock mode). The files are built by tests/security/hostile.py.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from entas.accounts.models import User
from entas.core import jobqueue
from entas.core.models import Job
from entas.programs.models import Cycle, Payment
from entas.registry.models import Household, Member
from tests.helpers import english_client, make_programme
from tests.security import hostile

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ImportPage:
    """A page whose upload a background job imports (the same reader: entas.registry.fileformats)."""

    url: str
    user: str  # the fixture of the person who may upload
    job: str
    data: dict[str, str]
    header: bytes | None  # the file's own header, put in place of a registry file's
    written: Callable[[], bool]
    args: Callable[[], list[Any]] = lambda: []  # the URL's arguments, made when the test runs
    field: str = "file"  # the name of the form's file field


def _payees_written() -> bool:
    from entas.payees.models import Payee

    return Payee.objects.exists()


def _reports_written() -> bool:
    from entas.enterprise.models import BusinessReport

    return BusinessReport.objects.exists()


def _repayments_written() -> bool:
    from entas.enterprise.models import Repayment

    return Repayment.objects.exists()


def _outreach_written() -> bool:
    from entas.outreach.models import Attendance

    return Attendance.objects.exists()


def _outreach_event() -> list[Any]:
    """An event of a campaign in Manggar, whose page imports the sign-in sheet."""
    from entas.outreach.models import Campaign, Event
    from entas.regions.models import Region

    campaign = Campaign.objects.create(
        code="hostile",
        name="Hostile",
        theme="jkn",
        channel="seminar",
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
    )
    kelurahan = Region.objects.get(code="64.71.01.1001")
    event = Event.objects.create(
        campaign=campaign, code="hostile-1", date=dt.date(2026, 2, 1), kelurahan=kelurahan, venue="Aula"
    )
    return [event.pk]


IMPORT_PAGES = {
    "registry": ImportPage(
        "registry:import", "operator_manggar", "registry.import", {"source": "operator"}, None, Household.objects.exists
    ),
    "accounts": ImportPage(
        "payees:import",
        "dinsos_manager",
        "payees.import",
        {},
        b"kk_number,bank_code,account_number,account_holder",
        _payees_written,
    ),
    "business-reports": ImportPage(
        "enterprise:import",
        "admin_user",
        "enterprise.reports",
        {"kind": "enterprise.reports"},
        b"group_id,period,period_start,revenue,costs",
        _reports_written,
    ),
    "repayments": ImportPage(
        "enterprise:import",
        "admin_user",
        "enterprise.repayments",
        {"kind": "enterprise.repayments"},
        b"loan_reference,payment_reference,paid_on,amount",
        _repayments_written,
    ),
    "sign-in-sheet": ImportPage(
        "outreach:event",
        "dinsos_manager",
        "outreach.attendance",
        {"action": "upload", "u-kind": "outreach.attendance"},
        b"nik,name,sex,birth_date",
        _outreach_written,
        args=_outreach_event,
        field="u-file",
    ),
}


def import_through_the_page(
    client: Any, name: str, content: bytes, language: str = "en", page: ImportPage = IMPORT_PAGES["registry"]
) -> Job:
    """Upload ``content`` on the import ``page``, in ``language``, and run the job it starts as the
    worker would (a job speaks the language of the person who started it)."""
    if page.header is not None:  # a registry file's header: the page's own instead, the rest as built
        first, newline, rest = content.partition(b"\r\n")
        if b",kk_number," in first:
            content = page.header + newline + rest
    client.cookies["django_language"] = language
    response = client.post(
        reverse(page.url, args=page.args()), {page.field: SimpleUploadedFile(name, content), **page.data}
    )
    job = Job.objects.get(kind=page.job)
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.language == language
    with translation.override("en" if language == "id" else "id"):  # whatever the worker's own language
        return jobqueue.execute(job.pk)


# -- the registry import ---------------------------------------------------------------------------

# (file name, builder, settings for the case, what the job page says)
REFUSED: list[tuple[str, Callable[[], bytes], dict[str, int], str]] = [
    ("sel.xlsx", hostile.declares_a_billion_cells, {}, "declares the range A1:XFD1048576"),
    ("sel.xlsx", hostile.stray_cell_at_z300000, {"ENTAS_IMPORT_MAX_XLSX_MEMORY_MB": 200}, "needs more than 200.0 MB"),
    ("bom.xlsx", hostile.compression_bomb, {}, "looks like a compression bomb"),
    ("big.xlsx", hostile.expands_past_the_limit, {"ENTAS_IMPORT_MAX_XLSX_UNCOMPRESSED_MB": 1}, "expands to 1.5 MB"),
    ("lol.xlsx", hostile.billion_laughs_in_shared_strings, {}, "xl/sharedStrings.xml declares a document type"),
    ("xxe.xlsx", hostile.external_entity_in_the_sheet, {}, "xl/worksheets/sheet1.xml declares a document type"),
    ("zip.xlsx", hostile.a_zip_that_is_no_workbook, {}, "is a ZIP archive but not an XLSX workbook"),
    ("rusak.xlsx", hostile.a_damaged_zip, {}, "is not a readable XLSX workbook"),
    ("acak.csv", hostile.random_bytes, {}, "is a binary file, not a text (CSV) file"),
    ("lama.csv", hostile.an_old_excel_workbook, {}, "is an old Excel workbook (.xls)"),
    ("pdf.csv", hostile.a_pdf, {}, "is a PDF document"),
    ("x81.csv", hostile.neither_utf8_nor_windows_1252, {}, "line 3 holds the byte 0x81"),
    ("panjang.csv", hostile.a_line_of_200_kb, {}, "Line 2 of panjang.csv is 195.3 KB long"),
    ("koma.csv", hostile.a_line_of_60_000_commas, {}, "Row 2 of koma.csv has 60001 cells"),
    ("kutip.csv", hostile.an_unclosed_quote, {}, "Row 3 of kutip.csv is longer than 64.0 KB"),
]


@pytest.mark.parametrize("page", IMPORT_PAGES)
@pytest.mark.parametrize(
    ("name", "build", "limits", "message"), REFUSED, ids=[build.__name__ for _n, build, _l, _m in REFUSED]
)
def test_an_import_page_refuses_a_hostile_file_with_a_clear_message(
    regions: Any,
    client_for: Callable[[User], Any],
    request: pytest.FixtureRequest,
    settings: Any,
    page: str,
    name: str,
    build: Callable[[], bytes],
    limits: dict[str, int],
    message: str,
) -> None:
    upload = IMPORT_PAGES[page]
    for setting, value in limits.items():
        setattr(settings, setting, value)
    client = client_for(request.getfixturevalue(upload.user))
    job = import_through_the_page(client, name, build(), page=upload)
    assert job.status == "failed"
    assert message in job.error
    assert "Traceback" not in job.error  # a refusal, not a crash
    assert not upload.written()


@pytest.mark.parametrize(
    "build", [hostile.utf16_with_bom, hostile.utf16_without_bom, hostile.excel_unicode_text], ids=lambda b: b.__name__
)
def test_the_registry_import_reads_utf16_text(
    regions: Any, client_for: Callable[[User], Any], operator_manggar: User, build: Callable[[], bytes]
) -> None:
    job = import_through_the_page(client_for(operator_manggar), "keluarga.csv", build())
    assert job.status == "succeeded", job.error
    assert job.result["inserted"] == 3  # type: ignore[index]


def test_a_nul_byte_in_a_name_rejects_the_row_not_the_file(
    regions: Any, client_for: Callable[[User], Any], operator_manggar: User
) -> None:
    job = import_through_the_page(client_for(operator_manggar), "keluarga.csv", hostile.a_nul_in_a_name())
    assert job.status == "succeeded", job.error
    assert job.result["rejected"] == 3 and job.result["inserted"] == 0  # type: ignore[index]
    assert "name holds the control character U+0000 at position 5" in job.result_file.read().decode("utf-8-sig")
    assert not Member.objects.exists()  # (PostgreSQL cannot even be asked for a NUL)


def test_a_family_of_thousands_of_rows_is_held_back_in_pieces_not_held_in_memory(
    regions: Any, client_for: Callable[[User], Any], operator_manggar: User
) -> None:
    job = import_through_the_page(client_for(operator_manggar), "satu-kk.csv", hostile.one_family_of_2500_rows())
    assert job.status == "succeeded", job.error
    assert job.result["rejected"] == 2500 and job.result["inserted"] == 0  # type: ignore[index]
    rejected = job.result_file.read().decode("utf-8-sig")
    assert rejected.count("has more than 1000 consecutive rows") == 2500
    assert not Household.objects.exists()


def test_the_job_page_says_why_a_spreadsheet_was_refused_in_indonesian(
    regions: Any, client_for: Callable[[User], Any], operator_manggar: User
) -> None:
    client = client_for(operator_manggar)
    job = import_through_the_page(client, "sel.xlsx", hostile.declares_a_billion_cells(), language="id")
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "menyatakan rentang A1:XFD1048576" in page


# (the page, who may upload, the form's fields beside the file, the file's field)
SIZE_LIMITED: dict[str, tuple[str, str, dict[str, Any], str]] = {
    "registry": ("registry:import", "operator_manggar", {"source": "operator"}, "file"),
    "accounts": ("payees:import", "dinsos_manager", {}, "file"),
    "enterprise": ("enterprise:import", "admin_user", {"kind": "enterprise.reports"}, "file"),
    "poverty-lines": ("monitoring:reference_data", "tkpk_analyst", {"kind": "lines"}, "lines-file"),
    "survey": (
        "monitoring:reference_data",
        "tkpk_analyst",
        {"kind": "survey", "survey-name": "S", "survey-year": 2025},
        "survey-file",
    ),
}


@pytest.mark.parametrize("upload", SIZE_LIMITED)
def test_an_upload_over_the_size_limit_is_refused_on_the_form(
    regions: Any, client_for: Callable[[User], Any], request: pytest.FixtureRequest, settings: Any, upload: str
) -> None:
    from entas.monitoring.models import PovertyLine, SurveyRound

    url, user, data, field = SIZE_LIMITED[upload]
    settings.ENTAS_IMPORT_MAX_FILE_MB = 1
    page = english_client(client_for, request.getfixturevalue(user)).post(
        reverse(url), {**data, field: SimpleUploadedFile("besar.csv", b"x" * (1 << 20) + b"x")}
    )
    assert page.status_code == 200
    assert "besar.csv is 1.0 MB; files of at most 1.0 MB are accepted" in page.content.decode()
    assert not Job.objects.exists() and not PovertyLine.objects.exists() and not SurveyRound.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob("besar*"))  # no stored copy is left behind


# -- the policy register's realisation import (the same reader, another page) ---------------------


@pytest.mark.parametrize(
    ("name", "build", "limits", "message"), REFUSED, ids=[build.__name__ for _n, build, _l, _m in REFUSED]
)
def test_the_realisation_import_refuses_a_hostile_file_with_a_clear_message(
    regions: Any,
    client_for: Callable[[User], Any],
    tkpk_analyst: User,
    settings: Any,
    name: str,
    build: Callable[[], bytes],
    limits: dict[str, int],
    message: str,
) -> None:
    from entas.core.models import AuditEvent

    for setting, value in limits.items():
        setattr(settings, setting, value)
    content = build()
    first, newline, rest = content.partition(b"\r\n")
    if b",kk_number," in first:  # a registry file's header: the realisation file's instead
        content = b"activity_code,month,realised,physical" + newline + rest
    client = english_client(client_for, tkpk_analyst)
    response = client.post(reverse("policy:realisation"), {"file": SimpleUploadedFile(name, content)})
    job = Job.objects.get(kind="policy.realisation")
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    job = jobqueue.execute(job.pk)
    assert job.status == "failed"
    assert message in job.error
    assert "Traceback" not in job.error
    assert not AuditEvent.objects.filter(action="policy.realisation").exists()


# The reading process may die; the process that reads a file for a job (the worker) must not. These
# files aborted it (SIGABRT after asking for 512 GiB), so each runs in a process of its own here:
# on the code before the fix that process dies, and the test fails instead of the test run.
SURVIVES = [
    (hostile.stray_cell_at_xfd1048576, "needs more than 2.0 GB of memory"),
    (hostile.declares_a_billion_cells, "declares the range A1:XFD1048576"),
    (hostile.compression_bomb, "looks like a compression bomb"),
    (hostile.billion_laughs_in_shared_strings, "declares a document type"),
]
READER = textwrap.dedent(
    """
    import os, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))  # whatever happens, not the machine's memory
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    import django
    django.setup()
    from django.utils import translation
    translation.activate("en")
    from pathlib import Path
    from entas.registry.fileformats import FileFormatError, open_rows
    from entas.registry.parsing import FileParser, ParseContext
    import datetime as dt
    context = ParseContext(frozenset(), {}, frozenset(), dt.date(2026, 1, 1), "en")
    try:
        source = open_rows(Path(sys.argv[1]))
        print("READ", sum(len(batch) for batch in FileParser(source, context).batches()))
    except FileFormatError as exc:
        print("REFUSED", exc)
    """
)


@pytest.mark.parametrize(("build", "message"), SURVIVES, ids=[b.__name__ for b, _m in SURVIVES])
def test_a_hostile_spreadsheet_never_takes_down_the_process_that_reads_it(
    tmp_path: Path, build: Callable[[], bytes], message: str
) -> None:
    path = tmp_path / "sel.xlsx"
    path.write_bytes(build())
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "entas.settings", "ENTAS_VAR_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", READER, str(path)], capture_output=True, text=True, timeout=300, env=env, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("REFUSED") and message in done.stdout


# -- reconciliation (the cycle page) ---------------------------------------------------------------


@pytest.fixture
def cycle(regions: Any, dinsos_manager: User) -> Cycle:
    from entas.programs import services
    from entas.targeting import services as targeting

    rule = targeting.save_rule(actor=None, name="BLT", expression="dtsen_desil <= 3", benefit=300_000)
    programme = make_programme(rule, start=dt.date(2026, 12, 1))
    return services.create_cycle(programme=programme, period="2026-12", actor=dinsos_manager)


RESULTS_REFUSED: list[tuple[str, Callable[[], bytes], str]] = [
    ("status.xml", hostile.pain002_billion_laughs, "declares a document type"),
    ("status.xml", hostile.pain002_external_entity, "declares a document type"),
    ("status.xml", hostile.pain002_network_entity, "declares a document type"),
    ("status.xml", hostile.pain002_nested_100_000_deep, "not readable XML"),
    ("hasil.csv", hostile.random_bytes, "is a binary file, not a text (CSV) file"),
    ("hasil.csv", hostile.an_old_excel_workbook, "is an old Excel workbook (.xls)"),
    ("hasil.csv", lambda: b"reference,status\r\nR-1,pa\x81id\r\n", "line 2 holds the byte 0x81"),
    ("hasil.csv", lambda: b"reference,status\r\n" + b"x" * 200_000, "Line 2 of hasil.csv is 195.3 KB long"),
    ("hasil.csv", lambda: b"reference,status\r\n" + b"," * 60_000, "Row 2 of hasil.csv has 60001 cells"),
]


@pytest.mark.parametrize(
    ("encoding", "text"),
    [("cp1252", "reference,status,reason\r\nR-1,failed,Rekening ditutup – É\r\n"), ("utf-16", None)],
)
def test_a_result_file_in_windows_1252_or_utf16_is_read(
    cycle: Cycle, tmp_path: Path, encoding: str, text: str | None
) -> None:
    from entas.programs import files

    path = tmp_path / "hasil.csv"
    path.write_bytes((text or "reference,status,reason\r\nR-1,paid,\r\n").encode(encoding))
    rows = files.read_results(path, cycle)
    assert rows[0]["reference"] == "R-1" and rows[0]["status"] in {"paid", "failed"}


def test_a_result_file_over_the_size_limit_is_refused_on_the_form(settings: Any) -> None:
    from entas.programs.forms import ReconcileForm

    settings.ENTAS_IMPORT_MAX_FILE_MB = 1
    upload = SimpleUploadedFile("hasil.csv", b"reference,status\r\n" + b"R,paid\r\n" * 200_000)
    form = ReconcileForm(data={}, files={"file": upload})
    assert not form.is_valid()
    assert "hasil.csv is 1.5 MB; files of at most 1.0 MB are accepted" in form.errors["file"][0]


# -- the commands' files ---------------------------------------------------------------------------

COMMANDS: list[tuple[str, list[str]]] = [
    ("import_survey", ["--year", "2025"]),
    ("load_poverty_lines", []),
    ("load_regions", []),
    ("load_boundaries", []),
]
BAD_TEXT: list[tuple[Callable[[], bytes], str]] = [
    (hostile.random_bytes, "is a binary file, not a text (CSV) file"),
    (lambda: b"region_code,kind\r\n64.71,nation\x81al\r\n", "line 2 holds the byte 0x81"),
    (lambda: b"code,name\r\n" + b"y" * 200_000 + b"\r\n", "Line 2 of f.txt is 195.3 KB long"),
]


@pytest.mark.parametrize(("command", "arguments"), COMMANDS, ids=[c for c, _a in COMMANDS])
@pytest.mark.parametrize(("build", "message"), BAD_TEXT, ids=["random", "not-windows-1252", "long-line"])
def test_a_command_refuses_an_unreadable_file_with_a_clear_message(
    regions: Any,
    tmp_path: Path,
    command: str,
    arguments: list[str],
    build: Callable[[], bytes],
    message: str,
) -> None:
    if command == "load_boundaries" and "long" in message:
        message = "The file is not valid JSON"  # a GeoJSON's lines are not rows: one line may be long
    path = tmp_path / "f.txt"
    path.write_bytes(build())
    with pytest.raises(CommandError) as refused:
        call_command(command, str(path), *arguments, stdout=StringIO(), stderr=(errors := StringIO()))
    assert message in str(refused.value) + errors.getvalue()


# -- the pages that read an upload at once: reconciliation, reference data -----------------------

# (the page's upload, the file's name, builder, what the page says)
READ_AT_ONCE: list[tuple[str, str, Callable[[], bytes], str]] = [
    *(("reconciliation", name, build, message) for name, build, message in RESULTS_REFUSED),
    *((kind, "f.txt", build, message) for kind in ("lines", "survey") for build, message in BAD_TEXT),
]


@pytest.mark.parametrize(
    ("upload", "name", "build", "message"),
    READ_AT_ONCE,
    ids=[f"{upload}-{name}-{i}" for i, (upload, name, _b, _m) in enumerate(READ_AT_ONCE)],
)
def test_a_page_that_reads_an_upload_at_once_refuses_a_hostile_file_with_a_clear_message(
    regions: Any,
    client_for: Callable[[User], Any],
    request: pytest.FixtureRequest,
    settings: Any,
    upload: str,
    name: str,
    build: Callable[[], bytes],
    message: str,
) -> None:
    from entas.monitoring.models import PovertyLine, SurveyRound

    file = SimpleUploadedFile(name, build())
    if upload == "reconciliation":
        cycle = request.getfixturevalue("cycle")
        user, url = request.getfixturevalue("dinsos_manager"), reverse("programs:cycle", args=[cycle.pk])
        data: dict[str, Any] = {"reconcile": "1", "file": file}
    else:  # the reference data page: poverty lines or a survey round
        user, url = request.getfixturevalue("tkpk_analyst"), reverse("monitoring:reference_data")
        data = {"kind": upload, f"{upload}-file": file, "survey-name": "S", "survey-year": 2025}
    page = english_client(client_for, user).post(url, data, follow=True)
    assert page.status_code == 200
    assert message in page.content.decode().replace("&lt;", "<").replace("&gt;", ">")
    assert not Payment.objects.exclude(status="sent").exists()
    assert not PovertyLine.objects.exists() and not SurveyRound.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob(f"{Path(name).stem}*"))  # no stored copy is left behind


@pytest.mark.parametrize(("build", "message"), BAD_TEXT, ids=["random", "not-windows-1252", "long-line"])
def test_the_affected_households_file_is_refused_with_a_clear_message(
    regions: Any, tmp_path: Path, dinsos_manager: User, build: Callable[[], bytes], message: str
) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(build())
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("program", "flag", "--event", "Banjir", "--file", str(path), "--as", "dinsos1", stdout=StringIO())


def test_a_geojson_nested_too_deeply_is_refused_with_a_clear_message(regions: Any, tmp_path: Path) -> None:
    path = tmp_path / "batas.geojson"
    path.write_text('{"type": "FeatureCollection", "features": ' + "[" * 100_000 + "]" * 100_000 + "}")
    errors = StringIO()
    with pytest.raises(CommandError):
        call_command("load_boundaries", str(path), stdout=StringIO(), stderr=errors)
    assert "nests its JSON too deeply" in errors.getvalue()


def test_a_survey_with_an_infinite_weight_is_refused(regions: Any, tmp_path: Path) -> None:
    path = tmp_path / "survei.csv"
    path.write_text(
        "kk_number,kelurahan_code,stratum,psu,weight,household_size,consumption_per_capita\r\n"
        "6471010101200001,64.71.01.1001,1,1,inf,3,inf\r\n"
        "6471010101200002,64.71.01.1001,1,1,nan,3,900000\r\n"
    )
    errors = StringIO()
    with pytest.raises(CommandError, match="2 problem"):
        call_command("import_survey", str(path), "--year", "2025", stdout=StringIO(), stderr=errors)
    assert "Line 2: weight, household_size and consumption_per_capita must be numbers" in errors.getvalue()
    assert "Line 3: weight and household size must be positive" in errors.getvalue()


# -- a campaign's materials (outreach): kept as files, never read, so judged by their first bytes ------

MATERIALS = [
    ("acak.pdf", hostile.random_bytes),
    ("bom.pptx", hostile.compression_bomb),  # a ZIP, but no Office file
    ("rusak.docx", hostile.a_damaged_zip),
    ("sel.pptx", hostile.declares_a_billion_cells),  # an XLSX workbook renamed
    ("lama.docx", hostile.an_old_excel_workbook),
    ("pdf.png", hostile.a_pdf),
]


@pytest.mark.parametrize(("name", "build"), MATERIALS, ids=[n for n, _b in MATERIALS])
def test_a_campaign_material_that_is_not_what_its_name_says_is_refused(
    regions: Any, client_for: Callable[[User], Any], dinsos_manager: User, name: str, build: Callable[[], bytes]
) -> None:
    from entas.outreach.models import Material

    campaign_url = reverse("outreach:materials", args=[_outreach_campaign()])
    client = client_for(dinsos_manager)
    client.cookies["django_language"] = "en"
    response = client.post(campaign_url, {"title": "Leaflet", "file": SimpleUploadedFile(name, build())})
    assert response.status_code == 200
    assert "is not the kind of file its name says" in response.content.decode()
    assert not Material.objects.exists()


def _outreach_campaign() -> int:
    from entas.outreach.models import Campaign

    return Campaign.objects.create(
        code="hostile-m",
        name="Hostile",
        theme="jkn",
        channel="seminar",
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
    ).pk
