"""Files of economic empowerment.

- Business reports and repayments: CSV or XLSX files read like a registry file (within the upload
  limits, hostile cells inert), every row counted as inserted, updated, unchanged or rejected
  (:class:`entas.core.fileimport.RowCounts`), each rejected row in the rejection file with its number
  and reasons. Each row is one service call: a row either lands whole or is rejected, and the same
  file imported again changes nothing (a payment is known by its reference).
- Groups with their members and assistance: a YAML file (``docs/examples/enterprise.yaml``), each
  group a "row" of the same accounting.

Report columns: ``group_id, period, period_start, revenue, costs`` and optionally ``production,
workers_family, workers_hired, capital``. Repayment columns: ``loan_reference, payment_reference,
paid_on, amount``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.core.errors import Refused
from entas.core.fileimport import RejectionFile, RowCounts
from entas.core.services import service
from entas.regions.models import Region
from entas.registry.fileformats import open_rows
from entas.registry.models import Member

from . import services
from .models import Group, Loan

if TYPE_CHECKING:
    from entas.accounts.models import User

REPORT_COLUMNS = ("group_id", "period", "period_start", "revenue", "costs")
REPORT_OPTIONAL = ("production", "workers_family", "workers_hired", "capital")
REPAY_COLUMNS = ("loan_reference", "payment_reference", "paid_on", "amount")
MAX_YAML_BYTES = 2 * 1024 * 1024


def _may_import(actor: User) -> None:
    if not actor.can(Capability.MANAGE_TRAINING):
        raise Refused(_("You may not change business groups."), code="forbidden")


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def _int(value: Any) -> int:
    text = str(value).strip().replace(".", "").replace(",", "").replace(" ", "")
    if text.startswith("-") and text[1:].isdigit():
        return -int(text[1:])
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def _count(counts: RowCounts, outcome: str) -> None:
    setattr(counts, outcome, getattr(counts, outcome) + 1)


def _rows(
    path: Path,
    name: str,
    columns: tuple[str, ...],
    rejection_path: Path,
    handle: Callable[[dict[str, str]], services.Outcome],
    progress: Callable[[int], None],
    log: Callable[[str], None],
    on_total: Callable[[int], None] | None,
) -> RowCounts:
    counts = RowCounts()
    source = open_rows(path, name)
    rejections: RejectionFile | None = None
    try:
        missing = [c for c in columns if c not in source.header]
        if missing:
            raise Refused(
                _("The file lacks the column(s) %(columns)s (expected %(expected)s).")
                % {"columns": ", ".join(missing), "expected": ",".join(columns)},
                code="invalid",
            )
        if on_total is not None and source.total is not None:
            on_total(source.total)
        rejections = RejectionFile(rejection_path, counts, header=source.header, escaped=source.escaped)
        for number, cells in source.rows:
            counts.total += 1
            row = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(source.header)}
            if source.escaped:
                from entas.core.spreadsheet import unescape_cell

                row = {k: unescape_cell(v) if v[:1] == "'" else v for k, v in row.items()}
            try:
                outcome = handle(row)
            except Refused as exc:
                rejections.add(number, [exc.message], cells)
            except (ValueError, KeyError) as exc:
                rejections.add(number, [_("A value cannot be read: %(value)s") % {"value": str(exc)[:60]}], cells)
            else:
                _count(counts, outcome.outcome)
                if outcome.warnings:
                    counts.warnings += 1
                    log(_("Row %(row)d: %(warnings)s") % {"row": number, "warnings": " ".join(outcome.warnings)})
            progress(1)
    finally:
        source.close()
        if rejections is not None:
            rejections.close()
    return counts


def _group(actor: User, value: str) -> Group:
    try:
        return Group.objects.restrict(actor, "change").select_related("kelurahan").get(pk=int(value))
    except (Group.DoesNotExist, ValueError):
        raise Refused(_("No group %(id)s in your areas.") % {"id": value[:20] or "-"}, code="invalid") from None


def import_reports(
    path: Path,
    *,
    name: str,
    actor: User,
    rejection_path: Path,
    progress: Callable[[int], None] | None = None,
    log: Callable[[str], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> RowCounts:
    """Import business reports as ``actor`` (groups of their areas only)."""
    _may_import(actor)
    groups: dict[str, Group] = {}

    def handle(row: dict[str, str]) -> services.Outcome:
        key = row["group_id"]
        if key not in groups:
            groups[key] = _group(actor, key)
        period = row["period"].lower()
        return services.record_report(
            actor=actor,
            group=groups[key],
            period={"bulanan": "month", "triwulan": "quarter"}.get(period, period),
            period_start=_date(row["period_start"]),
            revenue=_int(row["revenue"]),
            costs=_int(row["costs"]),
            **{k: _int(row[k]) for k in REPORT_OPTIONAL if row.get(k)},
            source="import",
        )

    return _rows(
        path,
        name,
        REPORT_COLUMNS,
        rejection_path,
        handle,
        progress or (lambda n: None),
        log or (lambda m: None),
        on_total,
    )


def import_repayments(
    path: Path,
    *,
    name: str,
    actor: User,
    rejection_path: Path,
    progress: Callable[[int], None] | None = None,
    log: Callable[[str], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> RowCounts:
    """Import loan repayments as ``actor``: a payment reference seen before is ``unchanged``."""
    _may_import(actor)

    def handle(row: dict[str, str]) -> services.Outcome:
        ref = row["loan_reference"]
        loan = Loan.objects.restrict(actor, "change").select_related("group__kelurahan").filter(reference=ref).first()
        if loan is None:
            raise Refused(_("No loan %(ref)s in your areas.") % {"ref": ref[:40] or "-"}, code="invalid")
        return services.record_repayment(
            actor=actor,
            loan=loan,
            reference=row["payment_reference"],
            paid_on=_date(row["paid_on"]),
            amount=_int(row["amount"]),
        )

    return _rows(
        path,
        name,
        REPAY_COLUMNS,
        rejection_path,
        handle,
        progress or (lambda n: None),
        log or (lambda m: None),
        on_total,
    )


# ---------------------------------------------------------------------------------------------
# The groups file (YAML)


class _NoAliases(yaml.SafeLoader):
    """A safe loader that refuses aliases (no "billion laughs")."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if isinstance(self.peek_event(), yaml.AliasEvent):
            raise yaml.YAMLError("aliases are not allowed")
        return super().compose_node(parent, index)


def read_groups_file(data: bytes) -> list[dict[str, Any]]:
    """The groups of a groups file, or a refusal saying why it cannot be read."""
    if len(data) > MAX_YAML_BYTES:
        raise Refused(_("The file is larger than 2 MB."), code="invalid")
    try:
        loader = _NoAliases(data.decode("utf-8-sig"))
        try:
            content = loader.get_single_data()
        finally:
            loader.dispose()
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise Refused(
            _("The file is not readable YAML: %(error)s") % {"error": str(exc)[:200]}, code="invalid"
        ) from None
    if not isinstance(content, dict) or not isinstance(content.get("groups"), list):
        raise Refused(_("The file must hold a list of groups under 'groups:'."), code="invalid")
    return list(content["groups"])


def load_groups(data: bytes, *, actor: User) -> dict[str, Any]:
    """Load a groups file as ``actor``: each group with its members (by NIK, people of the registry),
    grants, loans and certificates. A group is counted inserted, updated, unchanged or rejected (with
    its reasons); a rejected group changes nothing. Loading the file again changes nothing."""
    from . import selectors

    _may_import(actor)
    counts = RowCounts()
    rejected: list[dict[str, Any]] = []
    warnings: list[str] = []
    programmes = {p.name: p for p in selectors.empowerment_programmes()}
    for index, spec in enumerate(read_groups_file(data), start=1):
        counts.total += 1
        label = str(spec.get("name", "")) if isinstance(spec, dict) else ""
        try:
            if not isinstance(spec, dict):
                raise Refused(_("A group is a mapping of its fields."), code="invalid")
            outcome = _load_group(spec, actor, programmes, warnings)
        except Refused as exc:
            counts.rejected += 1
            rejected.append({"group": index, "name": label[:120], "reasons": [exc.message]})
        except (ValueError, KeyError, TypeError) as exc:
            counts.rejected += 1
            rejected.append(
                {
                    "group": index,
                    "name": label[:120],
                    "reasons": [_("A value cannot be read: %(value)s") % {"value": str(exc)[:60]}],
                }
            )
        else:
            _count(counts, outcome)
    counts.warnings = len(warnings)
    return {**counts.as_dict(), "rejected_groups": rejected, "warning_messages": warnings}


@service
def _load_group(spec: dict[str, Any], actor: User, programmes: dict[str, Any], warnings: list[str]) -> str:
    """One group of a groups file, in the caller's transaction: ``inserted``, ``updated`` or ``unchanged``."""
    kelurahan = Region.objects.kelurahan().filter(code=str(spec["kelurahan"])).first()
    if kelurahan is None:
        raise Refused(_("No kelurahan %(code)s.") % {"code": str(spec["kelurahan"])[:20]}, code="invalid")
    programme = None
    if spec.get("programme"):
        programme = programmes.get(str(spec["programme"]))
        if programme is None:
            raise Refused(_("No economic-empowerment programme %(name)s.") % {"name": str(spec["programme"])[:120]})
    result = services.save_group(
        actor=actor,
        name=str(spec["name"])[:120],
        type=str(spec["type"]),
        kbli=str(spec["kbli"]),
        kelurahan=kelurahan,
        founded=_date(spec["founded"]),
        product=str(spec.get("product", ""))[:120],
        address=str(spec.get("address", ""))[:200],
        nib=str(spec.get("nib", "")),
        programme=programme,
    )
    group: Group = result.obj
    outcomes = [result.outcome]
    niks = [str(m["nik"]) for m in spec.get("members", [])]
    people = {m.nik: m for m in Member.objects.restrict(actor, "view").filter(nik__in=niks)}
    unknown = [n for n in niks if n not in people]
    if unknown:
        raise Refused(
            _("No person with NIK %(niks)s in your areas (members must be in the registry).")
            % {"niks": ", ".join(n[:6] + "…" for n in unknown[:5])},
            code="invalid",
        )
    for m in spec.get("members", []):
        seat = services.seat(
            actor=actor,
            group=group,
            member=people[str(m["nik"])],
            role=str(m.get("role", "member")),
            joined_on=_date(m.get("joined", spec["founded"])),
        )
        outcomes.append(seat.outcome)
        warnings += seat.warnings
    for g in spec.get("grants", []):
        items = [
            services.Item(str(i["item"])[:120], int(i["quantity"]), int(i["unit_value"])) for i in g.get("items", [])
        ]
        outcomes.append(
            services.record_grant(
                actor=actor,
                group=group,
                kind=str(g["kind"]),
                amount=int(g["amount"]) if "amount" in g else None,
                items=items,
                handed_over_on=_date(g["handed_over"]),
                handover_reference=str(g["reference"])[:60],
                programme=programme,
            ).outcome
        )
    for ln in spec.get("loans", []):
        outcomes.append(
            services.record_loan(
                actor=actor,
                group=group,
                reference=str(ln["reference"])[:40],
                principal=int(ln["principal"]),
                term_months=int(ln["months"]),
                annual_rate_bp=int(ln.get("rate_bp", 0)),
                method=str(ln.get("method", "flat")),
                disbursed_on=_date(ln["disbursed"]),
                first_due=_date(ln["first_due"]) if "first_due" in ln else None,
                programme=programme,
            ).outcome
        )
    for cert in spec.get("certifications", []):
        outcomes.append(
            services.record_certification(
                actor=actor,
                group=group,
                kind=str(cert["kind"]),
                number=str(cert["number"])[:60],
                obtained_on=_date(cert["obtained"]),
            ).outcome
        )
    for ev in spec.get("events", []):
        outcomes.append(
            services.record_participation(
                actor=actor,
                group=group,
                event=str(ev["name"]),
                kind=str(ev["kind"]),
                held_on=_date(ev["held"]),
                place=str(ev.get("place", "")),
                sales=int(ev.get("sales", 0)),
            ).outcome
        )
    for b in spec.get("buyers", []):
        outcomes.append(
            services.link_buyer(
                actor=actor,
                group=group,
                buyer=str(b["name"]),
                kind=str(b.get("kind", "")),
                since=_date(b["since"]),
                product=str(b.get("product", "")),
            ).outcome
        )
    for k in spec.get("credit", []):
        outcomes.append(
            services.record_credit(
                actor=actor,
                group=group,
                scheme=str(k["scheme"]),
                lender=str(k["lender"]),
                amount=int(k["amount"]),
                obtained_on=_date(k["obtained"]),
            ).outcome
        )
    if result.outcome == "inserted":
        return "inserted"
    return "unchanged" if all(o == "unchanged" for o in outcomes) else "updated"
