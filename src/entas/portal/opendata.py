"""Open data: aggregated tables anyone may read and download (CSV, XLSX, JSON), with small-cell
suppression (:mod:`.suppression`, k = ENTAS_OPEN_DATA_K, 10 by default) and a DCAT-style catalogue
that Satu Data Indonesia portals can harvest. Counts only: no table holds a person or a family.

Each dataset is a function returning a :class:`Table` (rows × columns of counts, with their labels),
and its metadata (:class:`Dataset`): title, description, source, licence, the date of its data."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.core.spreadsheet import Sheet, csv_cell, workbook
from entas.regions.models import Region, RegionLevel

from .suppression import Published, suppress

LICENCE = "https://creativecommons.org/licenses/by/4.0/"
PUBLISHER = "Pemerintah Kota Balikpapan"


def k() -> int:
    return int(getattr(settings, "ENTAS_OPEN_DATA_K", 10))


@dataclass(frozen=True)
class Table:
    row_label: str
    rows: list[str]
    columns: list[str]
    values: list[list[int]]
    published: Published
    extra: dict[str, list[Any]]  # further columns per row (a programme's budget), shown as they are
    counts: bool = True  # False: a table of estimates (extra columns only, no totals)
    note: str = ""  # what the figures rest on (a survey round and a poverty line)


@dataclass(frozen=True)
class Dataset:
    slug: str
    title: Any
    description: Any
    source: Any
    build: Callable[[], Table]


def _kelurahan() -> list[Region]:
    return list(Region.objects.filter(level=RegionLevel.KELURAHAN).order_by("code"))


def _crosstab(
    places: list[Region], counts: dict[tuple[int, str], int], columns: list[tuple[str, Any]], row_label: str
) -> Table:
    values = [[counts.get((place.pk, code), 0) for code, _label in columns] for place in places]
    return Table(
        row_label=row_label,
        rows=[f"{place.code} {place.name}" for place in places],
        columns=[str(label) for _code, label in columns],
        values=values,
        published=suppress(values, k()),
        extra={},
    )


def registry_by_kelurahan() -> Table:
    from entas.registry.choices import VerificationStatus
    from entas.registry.models import Household

    counts = {
        (row["kelurahan"], row["verification_status"]): row["n"]
        for row in Household.objects.values("kelurahan", "verification_status").annotate(n=Count("pk"))
    }
    return _crosstab(_kelurahan(), counts, list(VerificationStatus.choices), _("Kelurahan"))


def complaints_by_kelurahan() -> Table:
    from .choices import Category
    from .models import Case

    counts = {
        (row["kelurahan"], row["category"]): row["n"]
        for row in Case.objects.filter(spam=False).values("kelurahan", "category").annotate(n=Count("pk"))
    }
    return _crosstab(_kelurahan(), counts, list(Category.choices), _("Kelurahan"))


def programmes() -> Table:
    """Each programme's enrolled households (suppressed below k), budget ceiling, and what was paid
    (shown only beside a published count: a sum over fewer than k families is theirs)."""
    from entas.programs.models import Enrolment, Payment, Programme

    rows = list(
        Programme.objects.annotate(
            enrolled=Count("enrolments", filter=Q(enrolments__state=Enrolment.State.ENROLLED))
        ).order_by("name")
    )
    paid = dict(
        Payment.objects.filter(status=Payment.Status.PAID)
        .values("entitlement__cycle__programme")
        .annotate(total=Sum("amount"))
        .values_list("entitlement__cycle__programme", "total")
    )
    values = [[p.enrolled] for p in rows]
    published = suppress(values, k())
    return Table(
        row_label=_("Programme"),
        rows=[p.name for p in rows],
        columns=[_("Households enrolled")],
        values=values,
        published=published,
        extra={
            _("Budget ceiling (Rp)"): [p.budget_ceiling for p in rows],
            _("Paid (Rp)"): [
                (paid.get(p.pk, 0) if published.cells[n][0] is not None else None) for n, p in enumerate(rows)
            ],
        },
    )


def poverty_by_kecamatan() -> Table:
    """Poverty indicators of the latest survey round by kecamatan, with standard errors and 95 %
    confidence intervals; an area with fewer than k sampled households shows no estimate."""
    from entas.monitoring import selectors as monitoring
    from entas.monitoring.models import SurveyHousehold

    survey = monitoring.latest_survey()
    line = monitoring.poverty_line("national", survey.year) if survey else None
    names = [
        _("Sampled households"),
        "P0 (%)",
        _("Standard error"),
        _("95% CI low"),
        _("95% CI high"),
        "P1 (%)",
        "Gini",
    ]
    if survey is None or line is None or not SurveyHousehold.objects.filter(survey=survey).exists():
        return Table(_("Kecamatan"), [], [], [], suppress([], k()), {n: [] for n in names}, counts=False)
    extreme = monitoring.poverty_line("extreme", survey.year)
    total, areas = monitoring.profile_for(
        None,
        survey=survey,
        line=float(line.rupiah_per_capita_month),
        extreme_line=float(extreme.rupiah_per_capita_month) if extreme else None,
        by="kecamatan",
    )
    shown = [*areas, total]
    rows = [a.name for a in areas] + [_("Kota Balikpapan")]

    def pct(value: float, area: Any) -> float | None:
        return round(100 * value, 2) if area.households >= k() else None

    extra: dict[str, list[Any]] = {
        names[0]: [a.households for a in shown],
        names[1]: [pct(a.p0.value, a) for a in shown],
        names[2]: [pct(a.p0.se, a) for a in shown],
        names[3]: [pct(max(0.0, a.p0.ci_low), a) for a in shown],
        names[4]: [pct(a.p0.ci_high, a) for a in shown],
        names[5]: [pct(a.p1.value, a) for a in shown],
        names[6]: [(round(a.gini.value, 3) if a.gini and a.households >= k() else None) for a in shown],
    }
    note = _(
        "Survey %(survey)s (%(year)s); poverty line %(line)s: Rp %(amount)s per person per month (%(source)s)."
    ) % {
        "survey": survey.name,
        "year": survey.year,
        "line": line.name,
        "amount": f"{line.rupiah_per_capita_month:,}".replace(",", "."),
        "source": line.source or _("source not recorded"),
    }
    return Table(_("Kecamatan"), rows, [], [[] for _r in rows], suppress([], k()), extra, counts=False, note=note)


def training_by_course() -> Table:
    """The trainees selected for each course by what came of it: not completed, completed (no work
    found yet, or not traced), completed and working at the latest tracer study. Counts of people,
    suppressed below k like every count."""
    from entas.training import selectors as training

    columns = [
        ("not_completed", _("Did not complete")),
        ("completed", _("Completed, no work found or not traced")),
        ("placed", _("Completed and working")),
    ]
    counts: dict[str, dict[str, int]] = {}
    for _application, t in training.trainees_for_outcomes(None):
        if not t.selected:
            continue
        key = "placed" if t.completed and t.placed else "completed" if t.completed else "not_completed"
        row = counts.setdefault(t.groups["course"], {})
        row[key] = row.get(key, 0) + 1
    courses = sorted(counts)
    values = [[counts[name].get(code, 0) for code, _label in columns] for name in courses]
    return Table(
        row_label=_("Course"),
        rows=courses,
        columns=[str(label) for _code, label in columns],
        values=values,
        published=suppress(values, k()),
        extra={},
    )


def register(dataset: Dataset) -> None:
    """A module above the portal publishes a dataset of its own (its figures, built by it, suppressed
    with :func:`suppress` and :func:`k`): the portal lists, downloads and catalogues it like its own."""
    DATASETS[dataset.slug] = dataset


DATASETS: dict[str, Dataset] = {
    d.slug: d
    for d in (
        Dataset(
            "registry-kelurahan",
            gettext_lazy("Registered households by kelurahan and verification status"),
            gettext_lazy(
                "Households of the city's social registry (DTSEN and local registration) in each kelurahan, by "
                "where they stand in the local update cycle: proposed, verified, ratified, rejected."
            ),
            gettext_lazy("Dinas Sosial Kota Balikpapan, social registry (entas)"),
            registry_by_kelurahan,
        ),
        Dataset(
            "programmes",
            gettext_lazy("Social assistance programmes: households enrolled, budget and payments"),
            gettext_lazy(
                "Each programme of the city with its budget ceiling, the households enrolled now, and the rupiah "
                "paid so far."
            ),
            gettext_lazy("Dinas Sosial Kota Balikpapan, programmes (entas)"),
            programmes,
        ),
        Dataset(
            "poverty-kecamatan",
            gettext_lazy("Poverty indicators by kecamatan, with confidence intervals"),
            gettext_lazy(
                "The share of people below the national poverty line (P0), the poverty gap (P1) and the Gini index "
                "of consumption, estimated from the latest household survey with its design (strata, clusters, "
                "weights): standard errors and 95-percent confidence intervals. No estimate for an area with fewer "
                "than k sampled households."
            ),
            gettext_lazy("Household consumption survey (Susenas) and BPS poverty line, via entas monitoring"),
            poverty_by_kecamatan,
        ),
        Dataset(
            "training-courses",
            gettext_lazy("Job training: trainees by course and outcome"),
            gettext_lazy(
                "The people selected for each course of the city's job training, by whether they completed it "
                "and whether they were working at the latest tracer study."
            ),
            gettext_lazy("Dinas Tenaga Kerja Kota Balikpapan, job training (entas)"),
            training_by_course,
        ),
        Dataset(
            "complaints-kelurahan",
            gettext_lazy("Citizens' complaints by kelurahan and category"),
            gettext_lazy(
                "Complaints, usul and sanggah received through the citizen portal, officers and SP4N-LAPOR!, "
                "by kelurahan and category (spam left out)."
            ),
            gettext_lazy("Citizen portal of Kota Balikpapan (entas)"),
            complaints_by_kelurahan,
        ),
    )
}


def header(table: Table) -> list[str]:
    if not table.counts:
        return [table.row_label, *table.extra]
    return [table.row_label, *table.columns, _("Total"), *table.extra]


def rows_of(table: Table) -> list[list[Any]]:
    """The published table as rows (a suppressed number as None), its totals row last."""
    if not table.counts:
        return [[label, *(values[n] for values in table.extra.values())] for n, label in enumerate(table.rows)]
    p = table.published
    out = []
    for n, label in enumerate(table.rows):
        out.append([label, *p.cells[n], p.row_totals[n], *(values[n] for values in table.extra.values())])
    out.append([_("Total"), *p.column_totals, p.total, *([""] * len(table.extra))])
    return out


def as_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(h) for h in header(table)])
    for row in rows_of(table):
        writer.writerow([csv_cell("" if v is None else v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def as_xlsx(table: Table) -> bytes:
    out = io.BytesIO()
    book = workbook(out)
    sheet = Sheet(book, "data")
    sheet.write_row(0, 0, header(table))
    for n, row in enumerate(rows_of(table), start=1):
        sheet.write_row(n, 0, row)
    book.close()
    return out.getvalue()


def as_json(dataset: Dataset, table: Table) -> bytes:
    return json.dumps(
        {
            "dataset": dataset.slug,
            "title": str(dataset.title),
            "note": table.note,
            "suppression": {
                "k": k(),
                "note": _("null: fewer than k people, or hidden so that such a cell cannot be recomputed"),
            },
            "columns": header(table),
            "rows": rows_of(table),
        },
        ensure_ascii=False,
    ).encode()


def catalogue(base_url: str) -> dict[str, Any]:
    """A DCAT-style catalogue (JSON-LD, the vocabulary of DCAT-AP and data.gov's schema) of the datasets."""
    modified = timezone.localdate().isoformat()
    download = f"{base_url.rstrip('/')}/portal/data/unduh/"
    return {
        "@context": "https://www.w3.org/ns/dcat.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": _("Open data of Kota Balikpapan: poverty and social assistance"),
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": PUBLISHER},
        "dct:language": "id",
        "dct:license": LICENCE,
        "dcat:dataset": [
            {
                "@type": "dcat:Dataset",
                "dct:identifier": f"balikpapan-entas-{d.slug}",
                "dct:title": str(d.title),
                "dct:description": str(d.description),
                "dct:source": str(d.source),
                "dct:publisher": {"@type": "foaf:Organization", "foaf:name": PUBLISHER},
                "dct:modified": modified,
                "dct:license": LICENCE,
                "dct:spatial": "Kota Balikpapan (64.71)",
                "dcat:keyword": ["kemiskinan", "bansos", "Balikpapan"],
                "entas:smallCellSuppression": {"k": k(), "complementary": True},
                "dcat:distribution": [
                    {
                        "@type": "dcat:Distribution",
                        "dcat:downloadURL": f"{download}?dataset={d.slug}&format={fmt}",
                        "dcat:mediaType": media,
                        "dct:format": fmt.upper(),
                        "dct:license": LICENCE,
                    }
                    for fmt, media in FORMATS.items()
                ],
            }
            for d in DATASETS.values()
        ],
    }


FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


# -- caching and maps -------------------------------------------------------------------------------


def cache_seconds() -> int:
    return int(getattr(settings, "ENTAS_OPEN_DATA_CACHE_SECONDS", 600))


def cached_table(dataset: Dataset) -> Table:
    """The dataset's published table, built at most once per ``ENTAS_OPEN_DATA_CACHE_SECONDS`` (600)
    per language: the public pages and downloads are the portal's heaviest, and anyone may ask for
    them. Zero turns the cache off."""
    from django.core.cache import cache
    from django.utils.translation import get_language

    seconds = cache_seconds()
    if seconds <= 0:
        return dataset.build()
    key = f"entas:open-data:{dataset.slug}:{get_language()}"
    table = cache.get(key)
    if table is None:
        table = dataset.build()
        cache.set(key, table, seconds)
    return table


def _rounded(value: Any, places: int = 5) -> Any:
    """Coordinates to about a metre (a smaller page; no long digit runs in the public answer)."""
    if isinstance(value, float):
        return round(value, places)
    if isinstance(value, list):
        return [_rounded(v, places) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v, places) for k, v in value.items()}
    return value


# Which datasets have a map: by kelurahan (the published row total) or by kecamatan (an estimate).
MAPS: dict[str, tuple[str, Any]] = {
    "registry-kelurahan": ("kelurahan", gettext_lazy("Registered households")),
    "complaints-kelurahan": ("kelurahan", gettext_lazy("Complaints")),
    "enterprise-kelurahan": ("kelurahan", gettext_lazy("Members of business groups")),
    "poverty-kecamatan": ("kecamatan", "P0 (%)"),
}


def map_spec(dataset: Dataset, table: Table) -> dict[str, Any] | None:
    """A map of the dataset's indicator over the regions' boundaries (a choropleth; circles on the
    centres where a boundary is missing): the published numbers only, so a suppressed area stays
    blank. None for a dataset without a map or an area without a place on it."""
    from entas.core.charts import region_map

    if dataset.slug not in MAPS or not table.rows:
        return None
    level, title = MAPS[dataset.slug]
    values: dict[str, Any] = {}
    if level == "kelurahan":
        regions = {r.code: r for r in Region.objects.filter(level=RegionLevel.KELURAHAN).select_related("parent")}
        for n, label in enumerate(table.rows):
            code = label.split(" ", 1)[0]
            if code in regions:
                values[code] = table.published.row_totals[n]
    else:
        by_name = {r.name: r for r in Region.objects.filter(level=RegionLevel.KECAMATAN).select_related("parent")}
        column = next((v for name, v in table.extra.items() if str(name) == "P0 (%)"), [])
        regions = {}
        for n, label in enumerate(table.rows):
            region = by_name.get(label)
            if region is not None and n < len(column):
                regions[region.code] = region
                values[region.code] = column[n]
    rows = [
        {
            "code": region.code,
            "name": region.name,
            "kecamatan": region.parent.name if level == "kelurahan" and region.parent else region.name,
            "value": values[code],
            "boundary": _rounded(region.boundary) if region.boundary else None,
            "lat": region.centroid_lat,
            "lng": region.centroid_lng,
        }
        for code, region in sorted(regions.items())
        if values.get(code) is not None
    ]
    if not rows:
        return None
    return region_map(
        rows,
        value="value",
        value_title=str(title),
        name_title=str(_("Kelurahan") if level == "kelurahan" else _("Kecamatan")),
        value_format=",d" if level == "kelurahan" else ".1f",
    )
