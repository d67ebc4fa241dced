"""Every write of the reports app, audited: create a report, generate a version from the data, write
its narrative, finalise it (maker-checker) with its files archived."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.core import audit
from entas.core.errors import Problem, Refused
from entas.core.services import service

from . import builders, render, selectors
from .document import Document, changes, from_dict
from .models import Report, ReportKind, ReportVersion, VersionStatus

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.programs.models import Programme

MAX_NARRATIVE = 20_000


def _editor(actor: User) -> None:
    if not actor.can(Capability.EDIT_REPORTS):
        raise Refused(_("You may not prepare official reports."), code="forbidden")


@service
def create_report(
    *,
    kind: str,
    year: int,
    actor: User,
    quarter: int | None = None,
    programme: Programme | None = None,
    sections: list[str] | None = None,
) -> Report:
    """A report of a kind for a period (the one already there when it exists)."""
    _editor(actor)
    if kind not in ReportKind.values:
        raise Refused(_("Unknown kind of report %(kind)r.") % {"kind": kind}, code="invalid")
    if not 2000 <= year <= 2100:
        raise Refused(_("The year must lie between 2000 and 2100."), code="invalid", issues=[Problem("year", "")])
    if kind == ReportKind.EXTREME_POVERTY:
        if quarter not in {1, 2, 3, 4}:
            raise Refused(_("The quarterly report needs a quarter (1–4)."), code="invalid")
    else:
        quarter = None
    if kind == ReportKind.PROGRAMME:
        if programme is None:
            raise Refused(_("A programme report needs a programme."), code="invalid")
    else:
        programme = None
    chosen = [s for s in (sections or []) if s in builders.LP2KD_SECTIONS] if kind == ReportKind.LP2KD else []
    existing = Report.objects.filter(kind=kind, year=year, quarter=quarter, programme=programme).first()
    if existing is not None:
        return existing
    report = Report.objects.create(
        kind=kind, year=year, quarter=quarter, programme=programme, sections=chosen, created_by=actor
    )
    audit.record(
        actor=actor,
        action="reports.create",
        obj=report,
        after={"kind": kind, "year": year, "quarter": quarter, "programme": programme.name if programme else None},
    )
    return report


@service
def set_sections(*, report: Report, sections: list[str], actor: User) -> Report:
    """Choose and order the LP2KD's sections (the official template is unconfirmed: DOMAIN §7.3)."""
    _editor(actor)
    if report.kind != ReportKind.LP2KD:
        raise Refused(_("Only the LP2KD has a configurable list of sections."), code="invalid")
    unknown = [s for s in sections if s not in builders.LP2KD_SECTIONS]
    if unknown or not sections:
        raise Refused(_("Unknown or no sections: %(s)s.") % {"s": ", ".join(unknown)}, code="invalid")
    before = list(report.sections)
    report.sections = list(dict.fromkeys(sections))
    report.save(update_fields=["sections"])
    audit.record(
        actor=actor,
        action="reports.sections",
        obj=report,
        before={"sections": before},
        after={"sections": report.sections},
    )
    return report


def build_document(report: Report, actor: User, day: dt.date) -> Document:
    inputs = selectors.inputs_for(report, actor, day)
    return builders.build(report.kind, inputs, report.sections or None)


@service
def generate(*, report: Report, actor: User, day: dt.date | None = None) -> ReportVersion:
    """A new draft version from the data as of ``day`` (today): the narrative of the previous version is
    carried over, and the figures that changed since it are recorded."""
    _editor(actor)
    report = Report.objects.select_for_update().get(pk=report.pk)
    previous = report.versions.order_by("-number").first()
    if previous is not None and previous.is_final:
        raise Refused(_("The report is final: its archived version cannot be regenerated."), code="conflict")
    day = day or timezone.localdate()
    doc = build_document(report, actor, day)
    before = from_dict(previous.document) if previous is not None else None
    changed = [{"key": c.key, "before": c.before, "after": c.after} for c in changes(before, doc)]
    narrative = dict(previous.narrative) if previous is not None else {}
    version = ReportVersion.objects.create(
        report=report,
        number=(previous.number + 1) if previous is not None else 1,
        snapshot=day,
        document=doc.as_dict(),
        inputs=doc.inputs,
        narrative=narrative,
        changes=changed,
        generated_by=actor,
    )
    audit.record(
        actor=actor,
        action="reports.generate",
        obj=version,
        after={"report": report.pk, "version": version.number, "snapshot": day.isoformat(), "changes": len(changed)},
    )
    return version


def _latest_draft(version: ReportVersion) -> ReportVersion:
    current = ReportVersion.objects.select_for_update().get(pk=version.pk)
    if current.is_final:
        raise Refused(_("This version is final and cannot change."), code="conflict")
    newest = (
        ReportVersion.objects.filter(report_id=current.report_id)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    if newest != current.number:
        raise Refused(_("Only the newest version of a report can change."), code="conflict")
    return current


@service
def edit_narrative(*, version: ReportVersion, narrative: dict[str, str], actor: User) -> ReportVersion:
    """Write the narrative sections of a draft (only the slots its document has)."""
    _editor(actor)
    current = _latest_draft(version)
    keys = set(from_dict(current.document).narrative_keys())
    unknown = sorted(set(narrative) - keys)
    if unknown:
        raise Refused(_("The report has no narrative section %(keys)s.") % {"keys": ", ".join(unknown)}, code="invalid")
    too_long = [k for k, v in narrative.items() if len(v) > MAX_NARRATIVE]
    if too_long:
        raise Refused(
            _("A narrative section may hold at most %(n)s characters.") % {"n": f"{MAX_NARRATIVE:,}"},
            code="invalid",
            issues=[Problem(k, "") for k in too_long],
        )
    before = dict(current.narrative)
    current.narrative = {**before, **{k: v.replace("\r\n", "\n") for k, v in narrative.items()}}
    current.edited_by = actor
    current.edited_at = timezone.now()
    current.save(update_fields=["narrative", "edited_by", "edited_at"])
    audit.record(
        actor=actor,
        action="reports.narrative",
        obj=current,
        before={k: before.get(k, "") for k in narrative},
        after={k: current.narrative[k] for k in narrative},
    )
    return current


def files_of(version: ReportVersion, *, charts: bool = True) -> dict[str, bytes]:
    doc = from_dict(version.document)
    return {
        fmt: render.render(fmt, doc, version.narrative, charts=charts, draft=not version.is_final)
        for fmt in render.FORMATS
    }


@service
def finalise(*, version: ReportVersion, actor: User, charts: bool = True) -> ReportVersion:
    """Make the newest draft final (never by who generated it or wrote its narrative): its PDF, DOCX and
    XLSX are rendered once, archived with their SHA-256, and never change again."""
    _editor(actor)
    current = _latest_draft(version)
    if actor.pk in current.makers():
        raise Refused(_("A report is finalised by someone other than who prepared it."), code="forbidden")
    doc = from_dict(current.document)
    current.status = VersionStatus.FINAL
    stem = f"{current.report.kind}-{current.report.year}-{current.report_id}-v{current.number}"
    digests = {}
    for fmt in render.FORMATS:
        content = render.render(fmt, doc, current.narrative, charts=charts, draft=False)
        digests[fmt] = hashlib.sha256(content).hexdigest()
        getattr(current, fmt).save(f"{stem}.{fmt}", ContentFile(content), save=False)
    current.digests = digests
    current.finalised_by = actor
    current.finalised_at = timezone.now()
    current.save()
    audit.record(actor=actor, action="reports.finalise", obj=current, after={"digests": digests})
    return current


def archived(version: ReportVersion, fmt: str) -> bytes:
    """A final version's archived file, checked against its recorded SHA-256."""
    field: Any = getattr(version, fmt)
    with field.open("rb") as handle:
        content = bytes(handle.read())
    if hashlib.sha256(content).hexdigest() != version.digests.get(fmt):
        raise Refused(_("The archived file does not match its recorded checksum."), code="conflict")
    return content
