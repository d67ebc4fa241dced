"""Evaluation data sets built from the data the system holds, not from a file: who was treated (the
households with an entitlement in a programme's cycles), an outcome at two dates, and covariates.

Outcomes:

- ``survey``: consumption per capita in two survey rounds, for the households sampled in both (found
  in the registry by KK number: a rotating panel);
- ``registry:FIELD``: a household variable of the registry (floor area, an asset, livestock, …) at two
  dates. The registry keeps current values; the value at an earlier date is read back from the audit
  trail of household changes (``household.update`` from an edit, ``household.import_update`` from a
  registry file import: each keeps the changed fields' values before the change): the value before the
  first change after the date, else the current value. Households registered after the first date are
  left out. Writes without such an event are not seen (docs/evaluation.md: the anonymisation clearing
  coordinates);
- ``training:income`` / ``training:employment`` (optionally ``:MONTHS``, 3, 6 or 12; 6 by default): the
  tracer study (entas.training) of the trainees who completed a course ending between the two dates —
  monthly income at application against income at the follow-up, or whether the trainee works at the
  follow-up (a level: no value before, so matching only). The unit is the trainee, the treatment their
  household's entitlement;
- ``campaign:CODE:MEASURE`` (optionally ``:MONTHS``, 3 or 12; 12 by default; MEASURE school, jkn or
  applications): a campaign's follow-up (entas.outreach) of the households whose first attendance falls
  between the two dates, at the baseline and at the wave — the share of school-age members in school,
  the share of members with JKN, applications to programmes. Without a programme the treated are the
  attending households and the comparison the matched households that did not attend.

Covariates are registry fields in the rule language (family size, DTSEN desil, floor area per
person, assets, …) with their current values: choose ones the programme cannot have changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _

from entas.core.errors import Refused

SURVEY = "survey"
REGISTRY_PREFIX = "registry:"
# The audit events that keep a household field's value before a change: an edit on the page or the API
# (entas.registry.services.update_household) and a registry file import (entas.registry.importer, one
# event per changed household with the changed fields' old values).
EDIT_ACTIONS = ("household.update", "household.import_update")
TRAINING_PREFIX = "training:"
TRAINING_MEASURES = ("income", "employment")
TRACER_MONTHS = 6
CAMPAIGN_PREFIX = "campaign:"
CAMPAIGN_MEASURES = ("school", "jkn", "applications")
CAMPAIGN_MONTHS = 12
# Household fields an outcome may be: numbers and yes/no answers (codes are not outcomes).
_OUTCOME_TYPES = ("IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField", "FloatField", "BooleanField")


def registry_outcomes() -> list[str]:
    """The household fields that can be an outcome: editable numbers and yes/no answers."""
    from entas.registry.models import Household
    from entas.registry.services import EDITABLE_FIELDS

    out = []
    for name in EDITABLE_FIELDS:
        f: Any = Household._meta.get_field(name)
        if f.get_internal_type() in _OUTCOME_TYPES and not getattr(f, "choices", None):
            out.append(name)
    return out


def covariate_names() -> list[str]:
    """Rule-language household fields that are numbers or conditions (entas.targeting.rules)."""
    from entas.targeting.rules import HOUSEHOLD_FIELDS

    return sorted(n for n, (kind, _d) in HOUSEHOLD_FIELDS.items() if kind in {"number", "bool"})


def outcome_choices(user: Any = None) -> list[tuple[str, str]]:
    """Every outcome a system-data evaluation can read, as (value, label): the survey, the registry
    variables, the training tracer study and the follow-ups of the campaigns that have some."""
    from entas.outreach.models import Campaign

    out = [(SURVEY, _("Consumption per capita (two survey rounds)"))]
    out += [(REGISTRY_PREFIX + n, _("Registry: %(name)s") % {"name": n}) for n in registry_outcomes()]
    out += [
        (TRAINING_PREFIX + "income", _("Training tracer: income at 6 months against the income at application")),
        (TRAINING_PREFIX + "employment", _("Training tracer: working at 6 months (a level: matching only)")),
    ]
    labels = {
        "school": _("school-age members in school"),
        "jkn": _("members with JKN"),
        "applications": _("applications to programmes"),
    }
    campaigns = Campaign.objects.all() if user is None else Campaign.objects.restrict(user, "view")
    for code, name in (
        campaigns.filter(follow_ups__isnull=False).distinct().order_by("name").values_list("code", "name")
    ):
        for measure in CAMPAIGN_MEASURES:
            out.append(
                (
                    f"{CAMPAIGN_PREFIX}{code}:{measure}",
                    _("Campaign %(name)s: %(measure)s, 12 months after") % {"name": name, "measure": labels[measure]},
                )
            )
    return out


@dataclass
class Outcome:
    """An outcome read for the evaluation: per unit (a household, or a trainee) its household (-1 when
    the unit is not in the registry), kelurahan, and the values at the two dates; ``treated`` when the
    outcome brings its own comparison (a campaign's attending households) and no programme is named;
    ``level_only`` when there is no value before (``before`` is zero: only matching compares levels)."""

    units: np.ndarray
    households: np.ndarray
    kelurahan: np.ndarray
    before: np.ndarray
    after: np.ndarray
    treated: np.ndarray | None = None
    level_only: bool = False
    unit: str = "household"


@dataclass
class Dataset:
    """One row per household: ``unit`` (household id), ``kelurahan``, ``treated`` (0/1), ``before``,
    ``after``, ``change`` and the covariates by name; ``summary`` says what was built from what."""

    columns: dict[str, np.ndarray]
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return int(self.columns["unit"].size)


def _treated(programme: Any, cycle: int | None) -> tuple[set[int], dt.date | None]:
    """Households with an entitlement in the programme's cycles (one cycle when ``cycle`` names its
    number; cancelled cycles never paid anyone), and the first payment day."""
    from django.db.models import Min

    from entas.programs.models import Cycle, Entitlement, Payment

    entitlements = Entitlement.objects.filter(cycle__programme=programme).exclude(cycle__state=Cycle.State.CANCELLED)
    if cycle is not None:
        entitlements = entitlements.filter(cycle__number=cycle)
    households = set(entitlements.values_list("household_id", flat=True))
    first = Payment.objects.filter(entitlement__in=entitlements).aggregate(first=Min("created_at"))["first"]
    return households, (timezone.localdate(first) if first else None)


def _registry_at(name: str, households: np.ndarray, current: np.ndarray, day: dt.date) -> np.ndarray:
    """The field's value for each household at the end of ``day``, read back from the audit trail."""
    from entas.core.models import AuditEvent

    values = current.astype(float).copy()
    position = {int(h): i for i, h in enumerate(households.tolist())}
    after = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
    seen: set[int] = set()
    events = (
        AuditEvent.objects.filter(action__in=EDIT_ACTIONS, object_type="registry.household", at__gte=after)
        .order_by("at", "pk")
        .values_list("object_id", "before")
    )
    for object_id, before in events.iterator(chunk_size=5000):
        if not isinstance(before, dict) or name not in before or not str(object_id).isdigit():
            continue
        i = position.get(int(object_id))
        if i is None or i in seen:
            continue
        seen.add(i)  # the earliest edit after the day holds the value the day had
        old = before[name]
        values[i] = np.nan if old is None else float(old)
    return values


def _registry_outcome(
    name: str, first: dt.date, second: dt.date
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from entas.registry.models import Household

    if name not in registry_outcomes():
        raise Refused(_("%(name)s is not a registry variable that can be an outcome.") % {"name": name}, code="invalid")
    born = timezone.make_aware(dt.datetime.combine(first + dt.timedelta(days=1), dt.time()))
    rows = list(Household.objects.filter(created_at__lt=born).values_list("pk", "kelurahan_id", name).order_by("pk"))
    if not rows:
        raise Refused(_("No household was registered before %(d)s.") % {"d": first.isoformat()}, code="invalid")
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    kelurahan = np.array([r[1] for r in rows], dtype=np.int64)
    current = np.array([np.nan if r[2] is None else float(r[2]) for r in rows])
    before = _registry_at(name, ids, current, first)
    after = _registry_at(name, ids, current, second) if second < timezone.localdate() else current
    return ids, kelurahan, before, after


def _survey_outcome(first: int, second: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from entas.monitoring.models import SurveyHousehold, SurveyRound
    from entas.registry.models import Household

    rounds = {}
    for year in (first, second):
        survey = SurveyRound.objects.filter(year=year).order_by("-imported_at").first()
        if survey is None:
            raise Refused(_("No survey round of %(y)d is loaded.") % {"y": year}, code="invalid")
        rounds[year] = dict(
            SurveyHousehold.objects.filter(survey=survey)
            .exclude(kk_number="")
            .values_list("kk_number", "consumption_per_capita")
        )
    both = sorted(set(rounds[first]) & set(rounds[second]))
    households = dict(Household.objects.filter(kk_number__in=both).values_list("kk_number", "pk"))
    kelurahan = dict(Household.objects.filter(kk_number__in=both).values_list("kk_number", "kelurahan_id"))
    found = [kk for kk in both if kk in households]
    if not found:
        raise Refused(
            _("No household of the registry was sampled in both survey rounds (%(a)d and %(b)d).")
            % {"a": first, "b": second},
            code="invalid",
        )
    return (
        np.array([households[kk] for kk in found], dtype=np.int64),
        np.array([kelurahan[kk] for kk in found], dtype=np.int64),
        np.array([float(rounds[first][kk]) for kk in found]),
        np.array([float(rounds[second][kk]) for kk in found]),
    )


def _parts(name: str, allowed: tuple[str, ...], waves: tuple[int, ...], default: int) -> tuple[str, int]:
    """``MEASURE`` or ``MEASURE:MONTHS`` of a training or campaign outcome."""
    measure, _sep, months = name.partition(":")
    if measure not in allowed or (months and (not months.isdigit() or int(months) not in waves)):
        raise Refused(
            _("Unknown outcome %(name)s: one of %(measures)s, optionally followed by :months (%(waves)s).")
            % {"name": name, "measures": ", ".join(allowed), "waves": ", ".join(map(str, waves))},
            code="invalid",
        )
    return measure, int(months) if months else default


def _training_outcome(name: str, first: dt.date, second: dt.date, user: Any) -> Outcome:
    from entas.training import selectors as training
    from entas.training.rules import TRACER_WAVES

    measure, months = _parts(name, TRAINING_MEASURES, tuple(TRACER_WAVES), TRACER_MONTHS)
    rows = training.tracer_panel(user, months, first, second)
    if not rows:
        raise Refused(
            _("No trainee who completed a course between %(a)s and %(b)s was followed up at %(m)d months.")
            % {"a": first.isoformat(), "b": second.isoformat(), "m": months},
            code="invalid",
        )

    def number(value: Any) -> float:
        return np.nan if value is None else float(value)

    units, households, kelurahan, baseline, income, employment = zip(*rows, strict=True)
    after = (
        np.array([number(v) for v in income])
        if measure == "income"
        else np.array([0.0 if e == "none" else 1.0 for e in employment])
    )
    return Outcome(
        units=np.array(units, dtype=np.int64),
        households=np.array([-1 if h is None else h for h in households], dtype=np.int64),
        kelurahan=np.array(kelurahan, dtype=np.int64),
        before=np.array([number(v) for v in baseline]) if measure == "income" else np.zeros(len(rows)),
        after=after,
        level_only=measure == "employment",
        unit="trainee",
    )


def _campaign_outcome(name: str, first: dt.date, second: dt.date, user: Any) -> Outcome:
    from entas.outreach import selectors as outreach
    from entas.outreach.choices import Group
    from entas.outreach.models import Campaign
    from entas.outreach.rules import WAVES

    code, _sep, rest = name.partition(":")
    campaign = Campaign.objects.filter(code=code).first()
    if campaign is None:
        raise Refused(_("No campaign with the code %(code)s.") % {"code": code}, code="invalid")
    measure, months = _parts(rest, CAMPAIGN_MEASURES, tuple(w for w in WAVES if w), CAMPAIGN_MONTHS)
    rows = outreach.follow_up_panel(user, campaign, months, first, second)
    if not rows:
        raise Refused(
            _("No household of %(campaign)s first attending between %(a)s and %(b)s was measured at %(m)d months.")
            % {"campaign": campaign.name, "a": first.isoformat(), "b": second.isoformat(), "m": months},
            code="invalid",
        )

    def value(wave: dict[str, int]) -> float:
        if measure == "school":
            return wave["in_school"] / wave["school_age"] if wave["school_age"] else np.nan
        if measure == "jkn":
            return wave["with_jkn"] / wave["members"] if wave["members"] else np.nan
        return float(wave["applications"])

    households = np.array([r["household"] for r in rows], dtype=np.int64)
    return Outcome(
        units=households,
        households=households,
        kelurahan=np.array([r["kelurahan"] for r in rows], dtype=np.int64),
        before=np.array([value(r["waves"][0]) for r in rows]),
        after=np.array([value(r["waves"][months]) for r in rows]),
        treated=np.array([1.0 if r["group"] == Group.ATTENDED else 0.0 for r in rows]),
    )


def _covariates(names: list[str], ids: np.ndarray) -> dict[str, np.ndarray]:
    from entas.registry.models import Household
    from entas.targeting.data import RuleData

    unknown = sorted(set(names) - set(covariate_names()))
    if unknown:
        raise Refused(_("Unknown covariates: %(names)s.") % {"names": ", ".join(unknown)}, code="invalid")
    if not names:
        return {}
    data = RuleData(Household.objects.all(), model_id=None, names=set(names))
    h, _m = data.arrays(set(names))
    index = {int(pk): i for i, pk in enumerate(np.asarray(h["id"]).tolist())}
    rows = np.array([index.get(int(pk), -1) for pk in ids.tolist()])
    out = {}
    for name in names:
        column = np.asarray(h[name], dtype=float)
        out[name] = np.where(rows >= 0, column[np.maximum(rows, 0)], np.nan)
    return out


def build(spec: dict[str, Any], progress: Callable[[str], None] | None = None, user: Any = None) -> Dataset:
    """The data set of ``spec``: ``programme`` (a Programme; optional for a campaign outcome), ``cycle``
    (its number, optional), ``outcome`` (``survey``, ``registry:FIELD``, ``training:MEASURE`` or
    ``campaign:CODE:MEASURE``), ``first`` and ``second`` (dates, or survey years), ``covariates``
    (rule-language field names). Units with a missing value, and trainees not in the registry when a
    programme is named, are left out. ``user`` scopes the training and campaign reads (None: the city)."""
    say = progress or (lambda _text: None)
    programme = spec.get("programme")
    outcome = str(spec.get("outcome") or "")
    first, second = spec.get("first"), spec.get("second")
    if programme is None and not outcome.startswith(CAMPAIGN_PREFIX):
        raise Refused(_("Choose a programme."), code="invalid")
    treated_ids: set[int] = set()
    first_payment = None
    if programme is not None:
        treated_ids, first_payment = _treated(programme, spec.get("cycle"))
        say(_("%(n)d households received %(programme)s.") % {"n": len(treated_ids), "programme": programme.name})
    else:
        say(_("The treated are the households attending the campaign."))
    warnings: list[str] = []
    if outcome == SURVEY:
        first, second = int(str(first)), int(str(second))
        if first >= second:
            raise Refused(_("The first survey year must come before the second."), code="invalid")
        ids, kelurahan, before, after = _survey_outcome(first, second)
        read = Outcome(ids, ids, kelurahan, before, after)
        if first_payment is not None and first_payment.year <= first:
            warnings.append(_("Some payments were made in or before the first survey year: the baseline is not clean."))
    elif outcome.startswith((REGISTRY_PREFIX, TRAINING_PREFIX, CAMPAIGN_PREFIX)):
        try:
            first, second = dt.date.fromisoformat(str(first)), dt.date.fromisoformat(str(second))
        except ValueError:
            raise Refused(_("The dates are YYYY-MM-DD."), code="invalid") from None
        if first >= second:
            raise Refused(_("The first date must come before the second."), code="invalid")
        if outcome.startswith(REGISTRY_PREFIX):
            ids, kelurahan, before, after = _registry_outcome(outcome[len(REGISTRY_PREFIX) :], first, second)
            read = Outcome(ids, ids, kelurahan, before, after)
        elif outcome.startswith(TRAINING_PREFIX):
            read = _training_outcome(outcome[len(TRAINING_PREFIX) :], first, second, user)
        else:
            read = _campaign_outcome(outcome[len(CAMPAIGN_PREFIX) :], first, second, user)
        if first_payment is not None and first_payment <= first:
            warnings.append(_("Some payments were made before the first date: the baseline is not clean."))
    else:
        raise Refused(
            _("The outcome is “survey”, a registry variable, a training tracer measure or a campaign follow-up."),
            code="invalid",
        )
    ids = read.units
    say(_("Outcome read for %(n)d units.") % {"n": ids.size})
    covariates = _covariates(list(spec.get("covariates") or []), read.households)
    say(_("Covariates read: %(names)s.") % {"names": ", ".join(covariates) or "–"})
    if programme is not None:
        treated = np.isin(read.households, np.fromiter(treated_ids, dtype=np.int64, count=len(treated_ids)))
        treated = treated.astype(float)
    else:
        assert read.treated is not None
        treated = read.treated
    kelurahan = read.kelurahan
    before, after = read.before, read.after
    keep = np.isfinite(before) & np.isfinite(after)
    if programme is not None:
        keep &= read.households >= 0  # a trainee not in the registry: whether they received it is unknown
    for column in covariates.values():
        keep &= np.isfinite(column)
    columns = {
        "unit": ids[keep],
        "kelurahan": kelurahan[keep],
        "treated": treated[keep],
        "before": before[keep],
        "after": after[keep],
        "change": (after - before)[keep],
        **{name: column[keep] for name, column in covariates.items()},
    }
    n_treated = int(columns["treated"].sum())
    if n_treated == 0 or n_treated == columns["unit"].size:
        raise Refused(
            _("The data set has %(t)d treated and %(c)d comparison households: an evaluation needs both.")
            % {"t": n_treated, "c": int(columns["unit"].size) - n_treated},
            code="invalid",
        )
    summary = {
        "programme": programme.name if programme is not None else _("campaign attendance"),
        "cycle": spec.get("cycle"),
        "unit": read.unit,
        "level_only": read.level_only,
        "outcome": outcome,
        "first": str(first),
        "second": str(second),
        "covariates": list(covariates),
        "households": int(columns["unit"].size),
        "treated": n_treated,
        "left_out": int((~keep).sum()),
        "first_payment": first_payment.isoformat() if first_payment else None,
        "warnings": warnings,
    }
    return Dataset(columns, summary)


def run_spec(
    method: str, dataset: Dataset, *, cluster: bool = False, psm_method: str = "nn"
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The columns and the specification :func:`entas.evaluation.runs.run_columns` takes for ``method``:
    DiD on the two-period panel (unit and period fixed effects; the treated households are treated in
    the second period), matching on the change with the covariates, or the before/after comparison."""
    c = dataset.columns
    if dataset.summary.get("level_only") and method != "psm":
        raise Refused(
            _("%(outcome)s has no value before: only matching (psm) compares its level.")
            % {"outcome": dataset.summary["outcome"]},
            code="invalid",
        )
    if method == "did":
        n = c["unit"].size
        data = {
            "unit": np.concatenate([c["unit"], c["unit"]]).astype(str),
            "time": np.concatenate([np.zeros(n), np.ones(n)]),
            "treat": np.concatenate([np.zeros(n), c["treated"]]),
            "outcome": np.concatenate([c["before"], c["after"]]),
            "kelurahan": np.concatenate([c["kelurahan"], c["kelurahan"]]).astype(str),
        }
        spec: dict[str, Any] = {"method": "did", "unit": "unit", "time": "time", "treat": "treat", "outcome": "outcome"}
        if cluster:
            spec["cluster"] = "kelurahan"
        return data, spec
    if method == "psm":
        covariates = list(dataset.summary["covariates"])
        if not covariates:
            raise Refused(_("Matching needs covariates."), code="invalid")
        spec = {
            "method": "psm",
            "treat": "treated",
            "outcome": "change",
            "covariates": covariates,
            "psm_method": psm_method,
        }
        return c, spec
    if method == "before_after":
        return c, {"method": "before_after", "before": "before", "after": "after", "group": "treated"}
    raise Refused(_("From the system's data: did, psm or before_after."), code="invalid")
