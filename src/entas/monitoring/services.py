"""Loading reference series (poverty lines) and survey rounds. All-or-nothing, audited."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from django.utils.translation import gettext as _

from entas.core import audit, uploads
from entas.core.bulk import Inserter
from entas.core.errors import Problem, Refused
from entas.core.services import service
from entas.regions.models import Region, RegionLevel

from .models import PovertyLine, SurveyHousehold, SurveyRound

if TYPE_CHECKING:
    from entas.accounts.models import User

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_LINES_FILE = DATA_DIR / "poverty-lines-64.71.csv"


@service
def load_poverty_lines(*, text: str, actor: User | None) -> int:
    """Create or update poverty lines from a CSV (columns as in data/poverty-lines-64.71.csv)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    regions = {r.code: r for r in Region.objects.filter(code__in={row.get("region_code", "") for row in rows})}
    errors = []
    for line, row in enumerate(rows, start=2):
        if row.get("region_code") not in regions:
            errors.append(
                _("Line %(line)d: region %(code)r is not loaded.") % {"line": line, "code": row.get("region_code")}
            )
        if row.get("kind") not in PovertyLine.Kind.values:
            errors.append(
                _("Line %(line)d: kind %(kind)r is not national or extreme.") % {"line": line, "kind": row.get("kind")}
            )
        for column in ("period", "rupiah_per_capita_month"):
            if not (row.get(column) or "").isdigit():
                errors.append(
                    _("Line %(line)d: %(column)s %(value)r is not a whole number.")
                    % {"line": line, "column": column, "value": row.get(column)}
                )
    if errors:
        raise Refused.listing(errors)
    for row in rows:
        PovertyLine.objects.update_or_create(
            region=regions[row["region_code"]],
            kind=row["kind"],
            name=row["name"],
            period=int(row["period"]),
            defaults={
                "rupiah_per_capita_month": int(row["rupiah_per_capita_month"]),
                "ppp_base": row.get("ppp_base", ""),
                "confirmed": row.get("confirmed", "true").lower() == "true",
                "source": row.get("source", ""),
            },
        )
    audit.record(
        actor=actor,
        action="monitoring.load_poverty_lines",
        object_type="monitoring.povertyline",
        object_repr=f"{len(rows)} lines",
        after={"rows": len(rows)},
    )
    return len(rows)


SURVEY_COLUMNS = ("kk_number", "kelurahan_code", "stratum", "psu", "weight", "household_size", "consumption_per_capita")


@service
def import_survey(*, path: Path, name: str, year: int, actor: User | None, file_name: str | None = None) -> SurveyRound:
    """Import a survey file (one row per sampled household; columns SURVEY_COLUMNS). Every bad row is
    reported and nothing is imported when any row is bad: a survey is used whole or not at all.
    ``file_name``: the name the user gave the file (an upload is stored under another), for messages."""
    kelurahan = dict(Region.objects.filter(level=RegionLevel.KELURAHAN).values_list("code", "pk"))
    errors: list[str] = []
    records = []
    with uploads.csv_dict_rows(path, name=file_name) as (header, rows):
        missing = [c for c in SURVEY_COLUMNS if c not in header and c != "kk_number"]
        if missing:
            raise Refused.listing(
                [_("The survey file lacks the column(s): %(columns)s.") % {"columns": ", ".join(missing)}]
            )
        for line, row in rows:
            try:
                weight = float(row["weight"])
                size = int(row["household_size"])
                consumption = int(float(row["consumption_per_capita"]))
            except (TypeError, ValueError, OverflowError):
                errors.append(
                    _("Line %(line)d: weight, household_size and consumption_per_capita must be numbers.")
                    % {"line": line}
                )
                continue
            if row["kelurahan_code"] not in kelurahan:
                errors.append(
                    _("Line %(line)d: kelurahan_code %(code)r is not loaded.")
                    % {"line": line, "code": row["kelurahan_code"]}
                )
                continue
            if not math.isfinite(weight) or weight <= 0 or size < 1 or consumption < 0:
                errors.append(
                    _("Line %(line)d: weight and household size must be positive, consumption not negative.")
                    % {"line": line}
                )
                continue
            records.append(
                {
                    "kk_number": row.get("kk_number", ""),
                    "kelurahan_id": kelurahan[row["kelurahan_code"]],
                    "stratum": row["stratum"],
                    "psu": row["psu"],
                    "weight": weight,
                    "household_size": size,
                    "consumption_per_capita": consumption,
                }
            )
    if not records and not errors:
        errors.append(_("The survey file has no rows."))
    if errors:
        raise Refused.listing(errors)
    survey = SurveyRound.objects.create(name=name, year=year, source_file=file_name or path.name)
    Inserter(SurveyHousehold).insert({**r, "survey_id": survey.pk} for r in records)
    audit.record(actor=actor, action="monitoring.import_survey", obj=survey, after={"households": len(records)})
    return survey


# -- indicators, the results framework and alert rules (entas indicator load; docs/monitoring.md) -----

INDICATOR_KEYS = {
    "code",
    "name",
    "definition",
    "sdg",
    "kind",
    "unit",
    "numerator",
    "denominator",
    "measure",
    "source",
    "factor",
    "disaggregations",
    "period_type",
    "direction",
    "values",
}


def _check_indicator(spec: dict[str, Any], where: str, problems: list[Problem]) -> None:
    from . import engine, sources
    from .models import Indicator

    unknown = set(spec) - INDICATOR_KEYS
    if unknown:
        problems.append(Problem(where, _("unknown keys: %(keys)s") % {"keys": ", ".join(sorted(unknown))}))
    for key in ("code", "name", "kind"):
        if not str(spec.get(key) or "").strip():
            problems.append(Problem(where, _("“%(key)s” is missing") % {"key": key}))
    kind = spec.get("kind")
    if kind and kind not in Indicator.Kind.values:
        problems.append(
            Problem(where, _("kind must be one of %(kinds)s") % {"kinds": ", ".join(Indicator.Kind.values)})
        )
    if kind == "registry":
        if not str(spec.get("numerator") or "").strip():
            problems.append(Problem(where, _("a registry indicator needs a numerator condition")))
        probe = Indicator(
            unit=spec.get("unit", "households"),
            numerator=str(spec.get("numerator") or "true"),
            denominator=str(spec.get("denominator") or ""),
            kind="registry",
        )
        try:
            engine.validate(probe)
        except Refused as exc:
            problems.append(Problem(where, str(exc)))
    if kind == "survey" and spec.get("measure") not in {*engine.SURVEY_MEASURES, "gini"}:
        problems.append(Problem(where, _("measure must be one of p0, p1, p2, extreme, gini")))
    if kind == "source" and spec.get("source") not in sources.names():
        problems.append(
            Problem(
                where,
                _("unknown source %(s)r (known: %(names)s)")
                % {"s": spec.get("source"), "names": ", ".join(sources.names())},
            )
        )
    if not isinstance(spec.get("disaggregations") or [], list):
        problems.append(Problem(where, _("disaggregations must be a list")))
    dims = spec.get("disaggregations")
    for dim in dims if isinstance(dims, list) else []:
        if dim not in engine.DIMENSIONS:
            problems.append(Problem(where, _("unknown disaggregation %(d)r") % {"d": dim}))
    if spec.get("unit", "households") not in Indicator.Unit.values:
        problems.append(Problem(where, _("unit must be households or members")))


@service
def define_indicator(*, spec: dict[str, Any], actor: User | None, note: str = "") -> tuple[Any, str]:
    """Create an indicator or change its definition: a changed definition raises the version (the old
    facts keep theirs, so the series shows a break). Returns (indicator, "created"|"changed"|"unchanged")."""
    from django.utils import timezone

    from .models import Indicator, IndicatorVersion

    problems: list[Problem] = []
    _check_indicator(spec, spec.get("code", "?"), problems)
    if problems:
        raise Refused(_("The indicator definition is not valid."), code="invalid", issues=problems)
    fields = {
        "name": spec["name"],
        "definition": spec.get("definition", ""),
        "sdg": str(spec.get("sdg", "")),
        "kind": spec["kind"],
        "unit": spec.get("unit", "households"),
        "numerator": str(spec.get("numerator", "")),
        "denominator": "" if str(spec.get("denominator", "")).strip() in {"", "true"} else str(spec["denominator"]),
        "measure": spec.get("measure", ""),
        "source": spec.get("source", ""),
        "factor": int(spec.get("factor", 100)),
        "disaggregations": list(spec.get("disaggregations") or []),
        "period_type": spec.get("period_type", "month"),
        "direction": spec.get("direction", "up"),
    }
    now = timezone.now()
    indicator = Indicator.objects.select_for_update().filter(code=spec["code"]).first()
    if indicator is None:
        indicator = Indicator.objects.create(code=spec["code"], **fields)
        state = "created"
    else:
        before = indicator.definition_dict()
        for key, value in fields.items():
            setattr(indicator, key, value)
        if indicator.definition_dict() != before:
            indicator.version += 1
            indicator.changed_at = now
            state = "changed"
        else:
            state = "unchanged"
        indicator.save()
    if state != "unchanged":
        IndicatorVersion.objects.create(
            indicator=indicator,
            version=indicator.version,
            definition=indicator.definition_dict(),
            valid_from=now,
            note=note,
        )
        audit.record(
            actor=actor, action=f"monitoring.indicator_{state}", obj=indicator, after=indicator.definition_dict()
        )
    return indicator, state


@service
def enter_official_value(
    *,
    indicator: Any,
    area_code: str,
    period: str,
    value: float,
    source: str,
    confirmed: bool,
    actor: User | None,
    se: float | None = None,
) -> Any:
    """Enter (or correct) one value of an official series, with its source and whether it is confirmed."""
    from .models import OfficialValue

    if indicator.kind != "official":
        raise Refused(_("%(code)s is not an official series.") % {"code": indicator.code}, code="invalid")
    region = Region.objects.filter(code=area_code).first()
    if region is None:
        raise Refused(_("Unknown area %(code)s.") % {"code": area_code}, code="invalid")
    if not (len(period) in (4, 7) and period[:4].isdigit()):
        raise Refused(_("The period %(p)r is not a year (YYYY) or month (YYYY-MM).") % {"p": period}, code="invalid")
    if not source.strip():
        raise Refused(_("An official value needs its source."), code="invalid")
    row, _created = OfficialValue.objects.update_or_create(
        indicator=indicator,
        area=region,
        period=period,
        defaults={"value": float(value), "se": se, "source": source, "confirmed": confirmed},
    )
    audit.record(
        actor=actor,
        action="monitoring.official_value",
        obj=row,
        region_code=area_code,
        after={"value": value, "source": source, "confirmed": confirmed},
    )
    return row


@service
def confirm_official_value(*, row: Any, actor: User | None) -> Any:
    """Mark an entered official value as confirmed (its source checked): it is no longer flagged."""
    from .models import OfficialValue

    row = OfficialValue.objects.select_for_update().get(pk=row.pk)
    if row.confirmed:
        raise Refused(_("This value is already confirmed."), code="conflict")
    row.confirmed = True
    row.save(update_fields=["confirmed", "entered_at"])
    audit.record(
        actor=actor,
        action="monitoring.official_value_confirm",
        obj=row,
        region_code=row.area.code,
        before={"confirmed": False},
        after={"confirmed": True, "source": row.source},
    )
    return row


MAX_YAML_DEPTH = 12


class _IndicatorYaml(yaml.SafeLoader):
    """PyYAML's safe loader, narrowed for files from users: an alias stops it before any expansion
    (a "billion laughs" file cannot grow in memory), nesting is bounded."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise yaml.MarkedYAMLError(problem=_("aliases (*name) are not allowed"), problem_mark=event.start_mark)  # type: ignore[arg-type]
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise yaml.MarkedYAMLError(problem=_("the file nests too deeply"), problem_mark=event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def read_indicator_file(text: str) -> Any:
    """The parsed indicator file (what :func:`load_indicators` takes); a file that is not valid YAML
    is refused with the line and column of the problem."""
    loader = _IndicatorYaml(text)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        place = (
            _("line %(line)d, column %(column)d") % {"line": mark.line + 1, "column": mark.column + 1} if mark else ""
        )
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise Refused(
            _("The file is not valid YAML; nothing was loaded."), code="invalid", issues=[Problem(place, problem)]
        ) from None
    except yaml.YAMLError as exc:
        raise Refused(
            _("The file is not valid YAML; nothing was loaded."), code="invalid", issues=[Problem("", str(exc)[:200])]
        ) from None
    finally:
        loader.dispose()


@service
def load_indicators(*, data: dict[str, Any], actor: User | None) -> dict[str, int]:
    """Load indicators, official values, a results framework and alert rules from a parsed YAML
    document (docs/examples/indicators-balikpapan.yaml): all or nothing, every problem named."""
    from entas.policy.models import Plan, ProgrammeRecord

    from .models import AlertRule, Indicator, Result, ResultIndicator, Target

    if not isinstance(data, dict):
        raise Refused(_("The file must be a YAML mapping with “indicators”, “framework” and “alerts”."), code="invalid")
    problems: list[Problem] = []
    for key, kind, label in (
        ("indicators", list, _("a list")),
        ("framework", dict, _("a mapping")),
        ("alerts", list, _("a list")),
    ):
        if data.get(key) is not None and not isinstance(data[key], kind):
            problems.append(Problem(key, _("must be %(what)s") % {"what": label}))
    unknown_keys = set(data) - {"indicators", "framework", "alerts"}
    if unknown_keys:
        problems.append(Problem("", _("unknown keys: %(keys)s") % {"keys": ", ".join(sorted(map(str, unknown_keys)))}))
    if problems:
        raise Refused(
            _("The indicator file has %(n)d problem(s); nothing was loaded.") % {"n": len(problems)},
            code="invalid",
            issues=problems,
        )
    specs = data.get("indicators") or []
    known = set(Indicator.objects.values_list("code", flat=True)) | {
        s.get("code") for s in specs if isinstance(s, dict)
    }
    for index, spec in enumerate(specs, 1):
        if not isinstance(spec, dict):
            problems.append(Problem(f"indicators[{index}]", _("not a mapping")))
            continue
        _check_indicator(spec, f"indicators[{index}] {spec.get('code', '')}", problems)
        for value in spec.get("values") or []:
            if not isinstance(value, dict) or not {"area", "period", "value", "source"} <= set(value):
                problems.append(Problem(f"indicators[{index}]", _("each value needs area, period, value and source")))
            elif not Region.objects.filter(code=str(value["area"])).exists():
                problems.append(Problem(f"indicators[{index}]", _("unknown area %(a)s") % {"a": value["area"]}))
            elif not isinstance(value["value"], int | float) or isinstance(value["value"], bool):
                problems.append(
                    Problem(
                        f"indicators[{index}] {value['period']}",
                        _("the value %(v)r is not a number") % {"v": value["value"]},
                    )
                )
    framework = data.get("framework") or {}
    plan = programme = None
    if framework:
        if framework.get("plan"):
            plan = Plan.objects.filter(code=framework["plan"]).order_by("-version").first()
            if plan is None:
                problems.append(
                    Problem(
                        "framework.plan",
                        _("no plan %(c)s in the register: load the plan first") % {"c": framework["plan"]},
                    )
                )
        if framework.get("programme"):
            programme = ProgrammeRecord.objects.filter(code=framework["programme"]).order_by("-pk").first()
            if programme is None:
                problems.append(
                    Problem(
                        "framework.programme", _("no programme %(c)s in the register") % {"c": framework["programme"]}
                    )
                )
        results = framework.get("results") or []
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            problems.append(Problem("framework.results", _("must be a list of mappings")))
            results = []
        codes = {r.get("code") for r in results}
        for result in results:
            where = f"framework.results {result.get('code', '?')}"
            if not str(result.get("statement") or "").strip():
                problems.append(Problem(where, _("“%(key)s” is missing") % {"key": "statement"}))
            if result.get("level") not in Result.Level.values:
                problems.append(Problem(where, _("level must be impact, outcome or output")))
            if result.get("parent") and result["parent"] not in codes:
                problems.append(Problem(where, _("unknown parent %(p)s") % {"p": result["parent"]}))
            for item in result.get("indicators") or []:
                if not isinstance(item, dict):
                    problems.append(Problem(where, _("each indicator of a result is a mapping")))
                    continue
                if item.get("indicator") not in known:
                    problems.append(Problem(where, _("unknown indicator %(c)s") % {"c": item.get("indicator")}))
    for index, rule in enumerate(data.get("alerts") or [], 1):
        if not isinstance(rule, dict):
            problems.append(Problem(f"alerts[{index}]", _("not a mapping")))
            continue
        if rule.get("indicator") not in known:
            problems.append(Problem(f"alerts[{index}]", _("unknown indicator %(c)s") % {"c": rule.get("indicator")}))
        if rule.get("kind") not in AlertRule.Kind.values:
            problems.append(Problem(f"alerts[{index}]", _("kind must be above, below, off_track or data_gap")))
    if problems:
        raise Refused(
            _("The indicator file has %(n)d problem(s); nothing was loaded.") % {"n": len(problems)},
            code="invalid",
            issues=problems,
        )
    counts = {"created": 0, "changed": 0, "unchanged": 0, "values": 0, "results": 0, "targets": 0, "alerts": 0}
    for spec in specs:
        indicator, state = define_indicator(spec=spec, actor=actor, note=_("loaded from a file"))
        counts[state] += 1
        for value in spec.get("values") or []:
            enter_official_value(
                indicator=indicator,
                area_code=str(value["area"]),
                period=str(value["period"]),
                value=float(value["value"]),
                source=str(value["source"]),
                confirmed=bool(value.get("confirmed", True)),
                se=value.get("se"),
                actor=actor,
            )
            counts["values"] += 1
    if framework:
        by_code: dict[str, Result] = {}
        for spec in framework.get("results") or []:
            result, _c = Result.objects.update_or_create(
                plan=plan,
                programme=programme,
                code=spec["code"],
                defaults={
                    "level": spec["level"],
                    "statement": spec["statement"],
                    "assumptions": spec.get("assumptions", ""),
                    "parent": by_code.get(spec.get("parent", "")),
                },
            )
            by_code[spec["code"]] = result
            counts["results"] += 1
            for item in spec.get("indicators") or []:
                link, _c = ResultIndicator.objects.update_or_create(
                    result=result,
                    indicator=Indicator.objects.get(code=item["indicator"]),
                    defaults={"baseline": item.get("baseline"), "baseline_year": item.get("baseline_year")},
                )
                for year, value in (item.get("targets") or {}).items():
                    Target.objects.update_or_create(
                        result_indicator=link, year=int(year), defaults={"value": float(value)}
                    )
                    counts["targets"] += 1
    for rule in data.get("alerts") or []:
        AlertRule.objects.update_or_create(
            indicator=Indicator.objects.get(code=rule["indicator"]),
            kind=rule["kind"],
            level=int(rule.get("level", 2)),
            defaults={
                "threshold": float(rule.get("threshold", 0)),
                "recipients": rule.get("recipients", ""),
                "active": True,
            },
        )
        counts["alerts"] += 1
    audit.record(actor=actor, action="monitoring.indicators_loaded", object_type="monitoring.indicator", after=counts)
    return counts
