"""Official reports speed: the LP2KD of a large city, generated from the data (every input read: the
survey's poverty profile with linearised SEs, the Fay–Herriot kelurahan estimates with the registry's
covariates, official series, indicator facts, evaluations) and rendered to PDF with its charts, DOCX
and XLSX; and the quarterly extreme-poverty report (the PMT scores of every family against the
extreme line, enrolments, benefits).

Floor: one GROUP BY over the members table (current members per kelurahan), in the same run.
Target (issue 25): a city-wide LP2KD for the million-member city in under a minute.

    .venv/bin/python benchmarks/reports.py [--members 1000000] [--survey 3000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--survey", type=int, default=3000, help="Sampled households of the survey round.")
    args = parser.parse_args()
    from _setup import django_setup, load_city, report, timed

    django_setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from entas.accounts.roles import Role
    from entas.monitoring.services import DEFAULT_LINES_FILE, import_survey, load_poverty_lines
    from entas.regions.models import Region
    from entas.registry.models import Member
    from entas.reports import render, services
    from entas.reports.document import from_dict
    from entas.targeting.services import fit_model, score_registry

    households = int(args.members / 3.05)
    city = load_city(households, seed=5, survey_size=args.survey)
    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)
    survey = import_survey(path=city / "survey.csv", name="Susenas sintetis", year=2025, actor=None)
    score_registry(model=fit_model(survey=survey, kind="wls", line=782248, actor=None), actor=None)
    user = get_user_model().objects.create_user(username="bench.tkpk", password="x" * 12, role=Role.TKPK_ANALYST)
    user.areas.set([Region.objects.get(code=settings.ENTAS_CITY_CODE)])

    def group_by() -> object:
        return list(
            Member.objects.filter(exited_on__isnull=True)
            .values("household__kelurahan_id")
            .annotate(n=Count("pk"))
            .order_by()
        )

    floor = timed(group_by, repeat=3)
    lp2kd = services.create_report(kind="lp2kd", year=2025, actor=user)
    versions: list = []
    generate = timed(lambda: versions.append(services.generate(report=lp2kd, actor=user)), repeat=2)
    doc = from_dict(versions[-1].document)
    pdf = timed(lambda: render.pdf(doc, {}, draft=True), repeat=2)
    docx = timed(lambda: render.docx(doc, {}, draft=True), repeat=2)
    xlsx = timed(lambda: render.xlsx(doc, {}, draft=True), repeat=2)
    rpkd = services.create_report(kind="rpkd_profile", year=2025, actor=user)
    rpkds: list = []
    rpkd_generate = timed(lambda: rpkds.append(services.generate(report=rpkd, actor=user)), repeat=2)
    from entas.reports import selectors as report_selectors

    overlap = timed(lambda: report_selectors.deprivation_inputs(user, day=dt.date(2025, 12, 31)), repeat=2)
    extreme = services.create_report(kind="extreme_poverty", year=2025, quarter=4, actor=user)
    extremes: list = []
    extreme_generate = timed(lambda: extremes.append(services.generate(report=extreme, actor=user)), repeat=2)
    by_kelurahan = [t for t in from_dict(extremes[-1].document).tables() if t.key == "extreme_by_kelurahan"]
    below = by_kelurahan[0].rows[-1][1]
    total = generate.best + pdf.best + docx.best + xlsx.best
    db = "PostgreSQL" if "postgres" in os.environ.get("ENTAS_DATABASE_URL", "") else "SQLite"
    members = Member.objects.filter(exited_on__isnull=True).count()
    print(f"city: {households:,} households, {members:,} members; survey {args.survey:,} households; database: {db}")
    print(f"floor (one GROUP BY over the members table): {floor}")
    rows = sum(len(t.rows) for t in doc.tables())
    print(f"LP2KD generated from the data ({len(doc.tables())} tables, {rows} rows): {generate}")
    print(f"LP2KD rendered: PDF with charts {pdf}; DOCX with charts {docx}; XLSX {xlsx}")
    print(
        f"RPKD generated from the data (the overlap of deprivations of every scored family included): {rpkd_generate}"
    )
    print(f"of which the overlap of deprivations by quintile (registry fields of every family and member): {overlap}")
    print(f"extreme-poverty report generated ({below} households below the line): {extreme_generate}")
    report("LP2KD generated and rendered in three formats", total, "s", floor=floor.best, target="< 60 s")
    report("extreme-poverty report generated", extreme_generate.best, "s", floor=floor.best)
    report("RPKD generated (with the overlap of deprivations)", rpkd_generate.best, "s", floor=floor.best)


if __name__ == "__main__":
    main()
