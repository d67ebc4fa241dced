"""Reports generated from a small city: figures against the data they come from (the PDF's text
extracted, the XLSX read back), finals that cannot change, narrative that survives regeneration, the
pages, the command and the job."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.core import jobqueue
from entas.core.errors import Refused
from entas.monitoring import selectors as mon
from entas.policy import selectors as pol
from entas.reports import services
from entas.reports.document import format_cell
from entas.reports.models import FinalVersionError, ReportVersion

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def generate(tmp_path: Path, kind: str, fmt: str, user: str, *extra: str) -> tuple[dict[str, Any], bytes]:
    out = tmp_path / f"r.{fmt}"
    stdout = StringIO()
    call_command(
        "report",
        "generate",
        kind,
        "--year",
        "2025",
        "--format",
        fmt,
        "--out",
        str(out),
        "--as",
        user,
        "--json",
        "--as-of",
        "2025-12-31",
        *extra,
        stdout=stdout,
    )
    return json.loads(stdout.getvalue()), out.read_bytes()


def test_the_lp2kd_pdf_and_xlsx_carry_the_figures_of_the_data(
    city: dict[str, Any], tkpk_analyst: User, tmp_path: Path
) -> None:
    from python_calamine import CalamineWorkbook

    line = mon.poverty_line("national", 2025)
    extreme = mon.poverty_line("extreme", 2025)
    total, _areas = mon.profile_for(
        tkpk_analyst,
        survey=city["survey"],
        line=float(line.rupiah_per_capita_month),
        extreme_line=float(extreme.rupiah_per_capita_month),
        by="kelurahan",
    )
    meta, pdf = generate(tmp_path, "lp2kd", "pdf", "tkpk", "--no-charts")
    assert meta["version"] == 1 and meta["status"] == "draft"
    text = pdf_text(pdf)
    assert "KOTA BALIKPAPAN" in text.upper()
    assert format_cell(100 * total.p0.value, "num4") in text  # P0 as printed
    assert format_cell(round(total.poor), "num4") in text or f"{round(total.poor):,}".replace(",", ".") in text
    assert "2,11" in text and "BPS" in text  # the official series with its source
    _meta, xlsx = generate(tmp_path, "lp2kd", "xlsx", "tkpk")
    book = CalamineWorkbook.from_filelike(io.BytesIO(xlsx))
    profile = book.get_sheet_by_name("profile_city").to_python()
    assert profile[3][1] == pytest.approx(100 * total.p0.value)
    assert profile[4][1] == round(total.poor)
    register = pol.register(tkpk_analyst, city["plan"], __import__("datetime").date(2025, 12, 31))
    by_opd = book.get_sheet_by_name("budget_by_opd").to_python()
    assert by_opd[-1][1:3] == [register.money.budget, register.money.realised]


def test_the_extreme_poverty_report_counts_the_households_below_the_line(
    city: dict[str, Any], tkpk_analyst: User, tmp_path: Path
) -> None:
    from python_calamine import CalamineWorkbook

    from entas.targeting.models import HouseholdScore

    line = mon.poverty_line("extreme", 2025).rupiah_per_capita_month
    below = HouseholdScore.objects.filter(model=city["model"], predicted_consumption__lt=line)
    _meta, xlsx = generate(tmp_path, "extreme-poverty", "xlsx", "tkpk", "--quarter", "4")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(xlsx)).get_sheet_by_name("extreme_by_kelurahan").to_python()
    assert rows[-1][0] == "Total" and rows[-1][1] == below.count() > 0
    enrolled = set(city["programme"].enrolments.values_list("household_id", flat=True))
    reached = sum(1 for h in below.values_list("household_id", flat=True) if h in enrolled)
    assert rows[-1][3] == below.count() - reached  # reached by no programme
    convergence = CalamineWorkbook.from_filelike(io.BytesIO(xlsx)).get_sheet_by_name("convergence").to_python()
    assert convergence[3][1] == below.count() - reached and convergence[4][1] == reached


def test_maker_checker_and_finals_never_change(city: dict[str, Any], tkpk_analyst: User, checker: User) -> None:
    report = services.create_report(kind="programme", year=2025, programme=city["programme"], actor=tkpk_analyst)
    version = services.generate(report=report, actor=tkpk_analyst)
    with pytest.raises(Refused, match="someone other"):
        services.finalise(version=version, actor=tkpk_analyst, charts=False)
    services.edit_narrative(version=version, narrative={"assessment": "Tepat sasaran."}, actor=checker)
    with pytest.raises(Refused, match="someone other"):
        services.finalise(version=version, actor=checker, charts=False)  # the checker wrote part of it
    from entas.accounts.roles import Role

    other = User.objects.create_user(username="bappeda3", password="x-correct-horse", role=Role.TKPK_ANALYST)
    final = services.finalise(version=version, actor=other, charts=False)
    assert final.is_final and set(final.digests) == {"pdf", "docx", "xlsx"}
    assert services.archived(final, "pdf").startswith(b"%PDF")
    with pytest.raises(Refused):
        services.generate(report=report, actor=tkpk_analyst)
    with pytest.raises(Refused):
        services.edit_narrative(version=final, narrative={"assessment": "x"}, actor=tkpk_analyst)
    final.narrative = {"assessment": "diubah"}
    with pytest.raises(FinalVersionError):
        final.save()
    with pytest.raises(FinalVersionError):
        final.delete()
    assert ReportVersion.objects.get(pk=final.pk).narrative == {"assessment": "Tepat sasaran."}
    # The command hands out the archived file, byte for byte.
    out = StringIO()
    call_command(
        "report",
        "generate",
        "programme",
        "--year",
        "2025",
        "--programme",
        city["programme"].name,
        "--format",
        "pdf",
        "--out",
        "/dev/null",
        "--as",
        "tkpk",
        "--json",
        stdout=out,
    )
    assert json.loads(out.getvalue())["status"] == "final"


def test_the_narrative_survives_regeneration_and_changes_are_listed(city: dict[str, Any], tkpk_analyst: User) -> None:
    from entas.monitoring.models import Indicator
    from entas.monitoring.services import enter_official_value

    report = services.create_report(kind="lp2kd", year=2025, sections=["profile", "problems"], actor=tkpk_analyst)
    first = services.generate(report=report, actor=tkpk_analyst)
    services.edit_narrative(version=first, narrative={"problems": "Realisasi lambat."}, actor=tkpk_analyst)
    with pytest.raises(Refused):
        services.edit_narrative(version=first, narrative={"nope": "x"}, actor=tkpk_analyst)
    enter_official_value(
        indicator=Indicator.objects.get(code="p0-bps"),
        area_code="64.71",
        period="2025",
        value=2.05,
        source="BPS (revisi)",
        confirmed=True,
        actor=None,
    )
    second = services.generate(report=report, actor=tkpk_analyst)
    assert second.number == 2 and second.narrative == {"problems": "Realisasi lambat."}
    changed = {c["key"]: (c["before"], c["after"]) for c in second.changes}
    key = "Official series (with their sources) / P0 resmi BPS · Balikpapan · 2025 / Value"
    assert changed[key] == (2.11, 2.05)
    with pytest.raises(Refused, match="newest"):
        services.edit_narrative(version=first, narrative={"problems": "x"}, actor=tkpk_analyst)


def test_the_pages_generate_edit_finalise_and_download(
    city: dict[str, Any],
    tkpk_analyst: User,
    checker: User,
    operator_manggar: User,
    client_for: Callable[[User], Client],
) -> None:
    maker, other = client_for(tkpk_analyst), client_for(checker)
    assert maker.get(reverse("reports:list")).status_code == 200
    assert client_for(operator_manggar).get(reverse("reports:list")).status_code == 403
    response = maker.post(reverse("reports:new"), {"kind": "extreme_poverty", "year": "2025", "quarter": "3"})
    assert response.status_code == 302
    job = jobqueue.execute(int(response["Location"].rstrip("/").split("/")[-1]))
    assert job.status == "succeeded", job.error
    report_id = job.result["report"]
    page = maker.get(reverse("reports:detail", args=[report_id]))
    assert page.status_code == 200 and page.context["can_finalise"] is False
    maker.post(reverse("reports:narrative", args=[report_id]), {"n_follow_up": "Verifikasi lapangan."})
    draft = maker.get(reverse("reports:download", args=[report_id, 1, "docx"]))
    assert draft.status_code == 200 and "draft" in draft["Content-Disposition"]
    assert other.post(reverse("reports:finalise", args=[report_id])).status_code == 302  # not confirmed
    assert not ReportVersion.objects.get(report_id=report_id).is_final
    assert other.post(reverse("reports:finalise", args=[report_id]), {"confirm": "1"}).status_code == 302
    final = ReportVersion.objects.get(report_id=report_id)
    assert final.is_final and final.finalised_by == checker
    pdf = other.get(reverse("reports:download", args=[report_id, 1, "pdf"]))
    assert pdf.content == services.archived(final, "pdf") and "Verifikasi lapangan." in pdf_text(pdf.content)
    assert maker.get(reverse("reports:diff", args=[report_id, 1])).status_code == 200
    listing = maker.get(reverse("reports:list"))
    assert listing.context["rows"][0][1] == "Final" and listing.context["rows"][0][0].version_count == 1
    assert maker.get(reverse("reports:download", args=[report_id, 1, "exe"])).status_code == 404


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) is not installed")
def test_every_page_of_the_rpkd_renders(city: dict[str, Any], tmp_path: Path) -> None:
    from pypdf import PdfReader

    _meta, pdf = generate(tmp_path, "rpkd-profile", "pdf", "tkpk")
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    (tmp_path / "r.pdf").write_bytes(pdf)
    subprocess.run(
        [shutil.which("pdftoppm") or "pdftoppm", "-r", "30", "-png", str(tmp_path / "r.pdf"), str(tmp_path / "page")],
        check=True,
    )
    images = sorted(tmp_path.glob("page*.png"))
    assert pages >= 9 and len(images) == pages and all(p.stat().st_size > 500 for p in images)


def test_an_rpkd_row_compares_the_city_and_its_comparators_in_the_same_year(
    city: dict[str, Any], tkpk_analyst: User
) -> None:
    """The province published a later year than the city: the row is the latest year both have
    (before, the city's column kept its first year under the province's last)."""
    from entas.monitoring.models import Indicator
    from entas.monitoring.services import enter_official_value
    from entas.reports import selectors

    tpt = Indicator.objects.create(
        code="tpt-bps", name="TPT BPS", kind="official", period_type="year", direction="down"
    )
    for area, period, value in (  # made-up test figures, not published ones
        ("64.71", "2023", 6.5),
        ("64.71", "2024", 6.2),
        ("64", "2024", 5.1),
        ("64", "2025", 5.0),
    ):
        enter_official_value(
            indicator=tpt, area_code=area, period=period, value=value, source="test", confirmed=True, actor=None
        )
    inputs = selectors.rpkd_inputs(tkpk_analyst, year=2025, day=date(2025, 12, 31))
    row = next(r for r in inputs["sector_indicators"] if r["name"] == "TPT BPS")
    assert row["sector"] == "economy"
    assert (row["period"], row["city"], row["province"], row["national"]) == ("2024", 6.2, 5.1, None)
    assert (
        row in inputs["sector_indicators"] and len([h for h in inputs["sector_history"] if h["name"] == "TPT BPS"]) == 4
    )


def test_the_command_finalises_by_a_checker_only(city: dict[str, Any], checker: User, tmp_path: Path) -> None:
    meta, _pdf = generate(tmp_path, "programme", "pdf", "tkpk", "--programme", city["programme"].name, "--no-charts")
    with pytest.raises(CommandError, match="someone other"):
        call_command("report", "finalise", str(meta["report"]), "--as", "tkpk", stdout=StringIO())
    out = StringIO()
    call_command("report", "finalise", str(meta["report"]), "--as", checker.username, "--json", stdout=out)
    assert set(json.loads(out.getvalue())["digests"]) == {"pdf", "docx", "xlsx"}


def test_the_rpkd_reads_province_and_nation_and_counts_overlapping_deprivations(
    city: dict[str, Any], tkpk_analyst: User, tmp_path: Path
) -> None:
    from python_calamine import CalamineWorkbook

    from entas.monitoring.models import Indicator
    from entas.monitoring.services import enter_official_value
    from entas.regions.services import load_regions
    from entas.registry.models import Household
    from entas.reports import selectors
    from entas.targeting.models import HouseholdScore

    load_regions(text="code,name\n00,Indonesia\n", actor=None, source="test")
    p0 = Indicator.objects.get(code="p0-bps")
    for area, value in (("64", 5.51), ("00", 8.57)):  # made-up test figures, not published ones
        enter_official_value(
            indicator=p0, area_code=area, period="2025", value=value, source="test", confirmed=True, actor=None
        )
    inputs = selectors.rpkd_inputs(tkpk_analyst, year=2025, day=date(2025, 12, 31))
    row = next(r for r in inputs["sector_indicators"] if r["name"] == "P0 resmi BPS")
    assert (row["city"], row["province"], row["national"]) == (2.11, 5.51, 8.57)
    assert inputs["comparators"] == {
        "province": "64",
        "national": "00",
        "province_entered": True,
        "national_entered": True,
    }
    data = inputs["deprivation"]
    scored = HouseholdScore.objects.filter(model=city["model"]).count()
    assert data["households"] == scored == sum(q["households"] for q in data["quintiles"]) == Household.objects.count()
    # the poorest fifth carries more deprivations than the richest
    poorest, richest = data["quintiles"][0], data["quintiles"][4]
    assert poorest["shares"]["0"] < richest["shares"]["0"]
    _meta, xlsx = generate(tmp_path, "rpkd-profile", "xlsx", "tkpk")
    book = CalamineWorkbook.from_filelike(io.BytesIO(xlsx))
    counts = book.get_sheet_by_name("deprivation_count").to_python()
    body = [r for r in counts if r and str(r[0]) in {"1", "2", "3", "4", "5"}]
    assert [int(r[1]) for r in body] == [q["households"] for q in data["quintiles"]]
    assert [round(float(r[2]), 2) for r in body] == [round(q["shares"]["0"], 2) for q in data["quintiles"]]
    sector = book.get_sheet_by_name("sector_poverty").to_python()
    assert any(r[0] == "P0 resmi BPS" and r[3] == 5.51 and r[4] == 8.57 for r in sector)
