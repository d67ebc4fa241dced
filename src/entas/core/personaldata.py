"""Personal data that modules hold about a person, for UU 27/2022 (Pelindungan Data Pribadi):
the data-subject access report (Art. 7, the right to access) and retention (Art. 43–44, erasure
once the purpose has ended).

The kernel knows no domain, so each app that keeps something about a person **registers** it from
its ``AppConfig.ready``, as it registers its menu entries and job kinds:

- a *provider* (:func:`provider`, or :func:`model_provider` for the common case of a model with a
  path to the member or the household) returns the sections of the report that app holds about a
  :class:`Subject` (one person, found by NIK, with the families they belonged to);
- a *purger* (:func:`purger`) anonymises what the app keeps of people whose retention period has
  ended; ``core.purge_personal_data`` (entas.core.jobs) runs them all, and the audit detail purge
  below, in one job the scheduler starts.

A new app plugs in with one call in its ``ready``; the report, its PDF and the purge job do not
change. docs/privacy.md is the user-facing page.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise

from .models import AuditEvent

# An anonymised member's NIK: "00" (no province has code 00, so it is never a real NIK) and the row's
# id, so the unique column stays unique and the statistics keep one row per person.
ANONYMISED_NIK_PREFIX = "00"
ANONYMISED_NAME = "(anonim)"
# An audit payload whose personal detail was removed: the changed fields' names stay, the values go.
REDACTED_KEY = "_redacted"


def anonymised_nik(pk: int) -> str:
    return f"{ANONYMISED_NIK_PREFIX}{pk:014d}"


def is_anonymised_nik(nik: str) -> bool:
    return nik.startswith(ANONYMISED_NIK_PREFIX)


@dataclass(frozen=True)
class Subject:
    """The person a report is about: their NIK, their member record(s) (the record itself and the
    tombstones merged into it) and every family they have belonged to."""

    nik: str
    member_ids: tuple[int, ...]
    household_ids: tuple[int, ...]


@dataclass
class Section:
    """What one module holds about the person: a titled table. ``refs`` are the objects shown
    (``(object_type, object_id)`` as the audit trail names them), whose audit events the report adds."""

    key: str
    title: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    refs: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "rows": [{k: _plain(v) for k, v in r.items()} for r in self.rows]}


@dataclass
class Report:
    """Everything the installation holds about one person, as of ``generated_at``."""

    nik: str
    name: str
    generated_at: dt.datetime
    generated_by: str
    sections: list[Section]

    def as_dict(self) -> dict[str, Any]:
        return {
            "nik": self.nik,
            "name": self.name,
            "generated_at": self.generated_at.isoformat(),
            "generated_by": self.generated_by,
            "sections": [s.as_dict() for s in self.sections],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)


Provider = Callable[[Subject], Iterable[Section]]
Purger = Callable[[dt.date, bool], dict[str, int]]


@dataclass(frozen=True)
class _Registered:
    name: str
    order: int
    function: Any


_PROVIDERS: dict[str, _Registered] = {}
_PURGERS: dict[str, _Registered] = {}


def provider(name: str, *, order: int = 50) -> Callable[[Provider], Provider]:
    """Register ``function(subject) -> sections`` as the provider ``name`` (a decorator). Lower
    ``order`` comes first in the report; registering a name again replaces it."""

    def decorate(function: Provider) -> Provider:
        _PROVIDERS[name] = _Registered(name, order, function)
        return function

    return decorate


def purger(name: str, *, order: int = 50) -> Callable[[Purger], Purger]:
    """Register ``function(cutoff, dry_run) -> counts`` as the purger ``name`` (a decorator): it
    anonymises what its module keeps of people who left before ``cutoff`` (the registry's exit date),
    or, with ``dry_run``, only counts them. Lower ``order`` runs first (the registry's members run
    before the copies other modules keep of them)."""

    def decorate(function: Purger) -> Purger:
        _PURGERS[name] = _Registered(name, order, function)
        return function

    return decorate


def providers() -> list[str]:
    return [r.name for r in sorted(_PROVIDERS.values(), key=lambda r: (r.order, r.name))]


def purgers() -> list[str]:
    return [r.name for r in sorted(_PURGERS.values(), key=lambda r: (r.order, r.name))]


def _display(obj: models.Model, f: models.Field[Any, Any]) -> Any:
    if f.choices:
        return getattr(obj, f"get_{f.name}_display")()
    if isinstance(f, models.ForeignKey):
        related = getattr(obj, f.name)
        return "" if related is None else str(related)
    return getattr(obj, f.attname)


def rows_of(queryset: models.QuerySet[Any], fields: Sequence[str]) -> list[dict[str, Any]]:
    """One dict per row: each field's label and its readable value (a choice's label, a related
    object's name)."""
    model = queryset.model
    meta_fields = [model._meta.get_field(name) for name in fields]
    related = [f.name for f in meta_fields if isinstance(f, models.ForeignKey)]
    out = []
    for obj in queryset.select_related(*related) if related else queryset:
        out.append({str(f.verbose_name): _display(obj, f) for f in meta_fields})
    return out


def model_provider(
    name: str,
    title: str | Promise,
    model: type[models.Model] | str,
    *,
    fields: Sequence[str],
    member: str = "",
    household: str = "",
    nik: str = "",
    order: int = 50,
) -> None:
    """Register a provider listing ``model``'s rows about the subject: rows whose ``member`` path is
    one of their member records, whose ``household`` path is one of their families, or whose ``nik``
    field holds their NIK (any that is given; a row matching two is listed once)."""
    from django.apps import apps
    from django.db.models import Q

    def rows(subject: Subject) -> list[Section]:
        target = apps.get_model(model) if isinstance(model, str) else model
        q = Q(pk__in=[])
        if member:
            q |= Q(**{f"{member}__in": subject.member_ids})
        if household:
            q |= Q(**{f"{household}__in": subject.household_ids})
        if nik:
            q |= Q(**{nik: subject.nik})
        queryset = target._default_manager.filter(q).order_by("pk")
        pks = list(queryset.values_list("pk", flat=True))
        label = target._meta.label_lower
        return [
            Section(
                key=name,
                title=str(title),
                rows=rows_of(target._default_manager.filter(pk__in=pks).order_by("pk"), fields),
                refs=[(label, str(pk)) for pk in pks],
            )
        ]

    provider(name, order=order)(rows)


AUDIT_REPORT_LIMIT = 2000


def collect(subject: Subject) -> list[Section]:
    """Every registered provider's sections (empty sections included: the report says that a module
    holds nothing), then the audit events about any object shown."""
    sections: list[Section] = []
    for registered in sorted(_PROVIDERS.values(), key=lambda r: (r.order, r.name)):
        sections.extend(registered.function(subject))
    sections.append(audit_section(sections))
    return sections


def audit_section(sections: Sequence[Section]) -> Section:
    """The audit events that name an object of the report (who did or saw what, and when), newest
    first, up to AUDIT_REPORT_LIMIT."""
    from django.db.models import Q
    from django.utils.translation import gettext

    by_type: dict[str, set[str]] = {}
    for section in sections:
        for object_type, object_id in section.refs:
            by_type.setdefault(object_type, set()).add(object_id)
    q = Q(pk__in=[])
    for object_type, ids in by_type.items():
        q |= Q(object_type=object_type, object_id__in=sorted(ids))
    events = AuditEvent.objects.filter(q).select_related("actor").order_by("-at", "-id")[:AUDIT_REPORT_LIMIT]
    rows = [
        {
            gettext("time"): timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M"),
            gettext("user"): e.actor.get_username() if e.actor else gettext("system"),
            gettext("action"): e.action,
            gettext("object"): f"{e.object_type} {e.object_id}",
            gettext("channel"): e.channel,
        }
        for e in events
    ]
    return Section(key="core.audit", title=gettext("Audit trail: who did or saw what"), rows=rows)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Promise):
        return str(value)
    return value


def _cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return "–"
    if value is True:
        return "✓"
    if value is False:
        return "✗"
    return str(value)


def report_pdf(report: Report, out: Path | IO[bytes]) -> None:
    """The report as an A4 PDF: a heading, then each section as a table (a row per record, a column
    per field; long sections continue on the next page)."""
    from django.utils.translation import gettext
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7, leading=8.5)
    doc = SimpleDocTemplate(
        out, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm, topMargin=10 * mm, bottomMargin=10 * mm
    )
    width = landscape(A4)[0] - 20 * mm

    def p(text: Any, style: Any = small) -> Paragraph:
        from xml.sax.saxutils import escape

        return Paragraph(escape(_cell(text)), style)

    story: list[Any] = [
        p(gettext("Personal data access report (UU 27/2022)"), styles["Title"]),
        p(f"NIK {report.nik} · {report.name}", styles["Heading2"]),
        p(
            gettext("Generated %(at)s by %(user)s")
            % {"at": timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M"), "user": report.generated_by},
            styles["BodyText"],
        ),
    ]
    for section in report.sections:
        story += [Spacer(1, 4 * mm), p(section.title, styles["Heading3"])]
        if not section.rows:
            story.append(p(gettext("Nothing held."), styles["BodyText"]))
            continue
        columns = list(section.rows[0])
        data = [[p(c) for c in columns]] + [[p(row.get(c)) for c in columns] for row in section.rows]
        table = Table(data, colWidths=[width / len(columns)] * len(columns), repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
    doc.build(story)


# --- Retention -------------------------------------------------------------------------------------


def retention_days(name: str) -> int:
    """A retention period in days from settings (0 = keep for ever)."""
    return int(getattr(settings, name, 0) or 0)


def cutoff(days: int, today: dt.date | None = None) -> dt.date | None:
    if days <= 0:
        return None
    return (today or timezone.localdate()) - dt.timedelta(days=days)


def _redacted(payload: Any) -> Any:
    if not isinstance(payload, dict):
        return None if payload is None else {REDACTED_KEY: True}
    return {REDACTED_KEY: True, "fields": sorted(k for k in payload if k != REDACTED_KEY)}


AUDIT_BATCH = 5000


def purge_audit_detail(before: dt.date, *, dry_run: bool) -> int:
    """Remove the personal detail of audit events older than ``before``: their before/after values
    go (the names of the changed fields stay) and so does ``object_repr`` (a person's name); the row
    itself — who, which action, on which object, when, from where — stays. Returns how many events
    were (or, with ``dry_run``, would be) changed.

    The audit log is append-only: this is the one place that changes rows, and it bypasses the
    immutable queryset on purpose (a plain QuerySet over the same model), in batches by id."""
    from django.db.models import Q

    start = timezone.make_aware(dt.datetime.combine(before, dt.time.min))
    pending = (
        AuditEvent.objects.filter(at__lt=start)
        .filter(Q(before__isnull=False) | Q(after__isnull=False) | ~Q(object_repr=""))
        .exclude(before__has_key=REDACTED_KEY)
        .exclude(after__has_key=REDACTED_KEY)
    )
    # Events with no payload but a name in object_repr, and events already redacted (no payload left to
    # redact but object_repr blank): the filters above keep only those with something to remove.
    if dry_run:
        return pending.count()
    changed = 0
    raw: models.QuerySet[AuditEvent] = models.QuerySet(model=AuditEvent)
    while True:
        batch = list(pending.order_by("pk").values("pk", "before", "after")[:AUDIT_BATCH])
        if not batch:
            return changed
        # One UPDATE per distinct pair of redacted payloads (events of one action change the same
        # fields), not one per event. A missing ``before`` becomes the marker: the event is done.
        groups: dict[str, tuple[Any, Any, list[int]]] = {}
        for row in batch:
            before_r = _redacted(row["before"]) if row["before"] is not None else {REDACTED_KEY: True}
            after_r = _redacted(row["after"])
            key = json.dumps([before_r, after_r], sort_keys=True)
            groups.setdefault(key, (before_r, after_r, []))[2].append(row["pk"])
        with transaction.atomic():
            for before_r, after_r, pks in groups.values():
                raw.filter(pk__in=pks).update(before=before_r, after=after_r, object_repr="")
        changed += len(batch)


def purge(*, dry_run: bool, actor: Any = None, today: dt.date | None = None) -> dict[str, int]:
    """Run every registered purger for members who left before the retention of exited members,
    then redact old audit detail. Counts by what was anonymised (or would be, with ``dry_run``); a
    purge that changed something is itself an audit event (``privacy.purge``, with the counts)."""
    counts: dict[str, int] = {}
    member_cutoff = cutoff(retention_days("ENTAS_RETENTION_EXITED_MEMBER_DAYS"), today)
    if member_cutoff is not None:
        for registered in sorted(_PURGERS.values(), key=lambda r: (r.order, r.name)):
            with transaction.atomic():
                for key, n in registered.function(member_cutoff, dry_run).items():
                    counts[key] = counts.get(key, 0) + n
    audit_cutoff = cutoff(retention_days("ENTAS_RETENTION_AUDIT_DETAIL_DAYS"), today)
    if audit_cutoff is not None:
        counts["audit_events_redacted"] = purge_audit_detail(audit_cutoff, dry_run=dry_run)
    if not dry_run and any(counts.values()):
        from .audit import record

        record(
            actor=actor,
            action="privacy.purge",
            object_type="core.personaldata",
            after={**counts, "members_left_before": str(member_cutoff or ""), "audit_before": str(audit_cutoff or "")},
        )
    return counts


def nik_expression(pk_field: str = "pk") -> Any:
    """The SQL of :func:`anonymised_nik` over a column (set-based updates on both databases)."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat, LPad

    return Concat(Value(ANONYMISED_NIK_PREFIX), LPad(Cast(pk_field, CharField()), 14, Value("0")))


def copy_purger(
    name: str, model: type[models.Model] | str, *, member: str = "member", nik: str = "nik", person_name: str = "name"
) -> None:
    """Register a purger for a module's copy of a member's NIK and name (an application, an attendance
    list): rows whose member left before the cutoff get the anonymised NIK (of their own id) and name.
    Runs before the registry's own purger (order 10), while the member's exit date still names them."""
    from django.apps import apps

    def purge_copies(before: dt.date, dry_run: bool) -> dict[str, int]:
        target = apps.get_model(model) if isinstance(model, str) else model
        rows = target._default_manager.filter(**{f"{member}__exited_on__lt": before}).exclude(
            **{f"{nik}__startswith": ANONYMISED_NIK_PREFIX}
        )
        n = rows.count() if dry_run else rows.update(**{nik: nik_expression(), person_name: ANONYMISED_NAME})
        return {f"{target._meta.label_lower}_anonymised": n}

    purger(name, order=10)(purge_copies)
