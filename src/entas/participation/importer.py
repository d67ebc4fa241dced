"""Importing forums and musyawarah decisions from a file (CSV or XLSX, read like a registry file:
within the upload limits, hostile cells made inert).

- forums: ``kind`` (musyawarah, rembug_warga, musrenbang_kelurahan…), ``area_code``, ``held_on``
  (YYYY-MM-DD), ``berita_acara``; optional ``place``, ``rt``, ``chair``, ``secretary``, ``agenda`` and
  the attendance ``officials_men``, ``officials_women``, ``rt_rw_men``… ``residents_women``;
- decisions: ``berita_acara`` (a musyawarah already recorded), ``kk_number``, ``decision`` (add,
  remove, keep); optional ``rule`` (a rule's name; empty: the registry's list) and ``reason``.

Every row is counted once as inserted, updated, unchanged or rejected; a rejected row goes to the
rejection file with its row number and every reason. Each row is written through the same service as
the page (its own transaction, audited): a file is a sitting's worth of rows, not a city's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from entas.accounts.scoping import visible_regions
from entas.core.errors import Refused
from entas.core.fileimport import RejectionFile, RowCounts
from entas.core.spreadsheet import unescape_cell
from entas.regions.models import Region
from entas.registry.fileformats import open_rows
from entas.registry.selectors import households_for
from entas.targeting.models import EligibilityRule

from . import choices as c
from . import services
from .models import Agreement, Attendance, Contribution, Forum, ForumDecision, Partner, Proposal, Review

if TYPE_CHECKING:
    from entas.accounts.models import User

FORUM_COLUMNS = ("kind", "area_code", "held_on", "berita_acara")
FORUM_OPTIONAL = (
    "place",
    "rt",
    "chair",
    "secretary",
    "agenda",
    *(f"{g}_{s}" for g in c.AttendeeGroup.values for s in ("men", "women")),
)
DECISION_COLUMNS = ("berita_acara", "kk_number", "decision")
DECISION_OPTIONAL = ("rule", "reason")


class _Importer:
    columns: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    def __init__(self, *, actor: User, rejection_path: Path, progress: Callable[[int], None] | None = None) -> None:
        self.actor = actor
        self.rejection_path = rejection_path
        self.progress = progress or (lambda n: None)
        self.summary = RowCounts()
        self._escaped = False

    def run(self, path: Path, name: str, on_total: Callable[[int], None] | None = None) -> RowCounts:
        source = open_rows(path, name)
        rejections: RejectionFile | None = None
        try:
            header = [h.strip().lower() for h in source.header]
            missing = [col for col in self.columns if col not in header]
            if missing:
                raise Refused(
                    _("The file lacks the column(s) %(columns)s (expected %(expected)s).")
                    % {"columns": ", ".join(missing), "expected": ",".join(self.columns + self.optional)},
                    code="invalid",
                )
            if on_total is not None and source.total is not None:
                on_total(source.total)
            self._escaped = source.escaped
            rejections = RejectionFile(self.rejection_path, self.summary, header=source.header, escaped=source.escaped)
            index = {col: header.index(col) for col in self.columns + self.optional if col in header}
            for number, cells in source.rows:
                self.summary.total += 1
                row = {col: self._cell(cells, i) for col, i in index.items()}
                try:
                    outcome = self.one(row)
                    setattr(self.summary, outcome, getattr(self.summary, outcome) + 1)
                except Refused as exc:
                    reasons = [str(i.message) for i in exc.issues] if exc.issues else [exc.message]
                    rejections.add(number, reasons, cells)
                self.progress(1)
        finally:
            source.close()
            if rejections is not None:
                rejections.close()
        return self.summary

    def _cell(self, cells: list[str], i: int) -> str:
        value = cells[i].strip() if i < len(cells) else ""
        if self._escaped and value[:1] == "'":
            value = unescape_cell(value)
        return value

    def one(self, row: dict[str, str]) -> str:  # "inserted", "updated" or "unchanged"; Refused to reject
        raise NotImplementedError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Refused(_("%(value)s is not a date (write it as 2026-03-14).") % {"value": text[:20] or "-"}) from None


def _count(text: str, column: str) -> int:
    if not text:
        return 0
    if not text.isdigit():
        raise Refused(_("%(column)s is not a whole number of people.") % {"column": column})
    return int(text)


class ForumImporter(_Importer):
    columns, optional = FORUM_COLUMNS, FORUM_OPTIONAL

    def one(self, row: dict[str, str]) -> str:
        if row["kind"] not in c.ForumKind.values:
            raise Refused(_("Unknown kind of forum %(value)s.") % {"value": row["kind"][:30] or "-"})
        area = visible_regions(self.actor).filter(code=row["area_code"]).first()
        if area is None:
            raise Refused(_("No area %(code)s among yours.") % {"code": row["area_code"][:20] or "-"})
        attendance = {
            g: (_count(row.get(f"{g}_men", ""), f"{g}_men"), _count(row.get(f"{g}_women", ""), f"{g}_women"))
            for g in c.AttendeeGroup.values
        }
        values: dict[str, Any] = {
            "kind": row["kind"],
            "area": area,
            "held_on": _date(row["held_on"]),
            "berita_acara": row["berita_acara"],
            **{k: row.get(k, "") for k in ("place", "rt", "chair", "secretary", "agenda")},
        }
        forum = Forum.objects.filter(berita_acara=row["berita_acara"]).first()
        if forum is not None:
            stored = {a.group: (a.men, a.women) for a in Attendance.objects.filter(forum=forum)}
            if stored == attendance and all(getattr(forum, k) == v for k, v in values.items()):
                return "unchanged"
        services.save_forum(actor=self.actor, forum=forum, attendance=attendance, **values)
        return "inserted" if forum is None else "updated"


class DecisionImporter(_Importer):
    columns, optional = DECISION_COLUMNS, DECISION_OPTIONAL

    def one(self, row: dict[str, str]) -> str:
        forum = Forum.objects.restrict(self.actor, "view").filter(berita_acara=row["berita_acara"]).first()
        if forum is None:
            raise Refused(
                _("No forum with berita acara %(ba)s in your areas.") % {"ba": row["berita_acara"][:60] or "-"}
            )
        household = households_for(self.actor).filter(kk_number=row["kk_number"]).select_related("kelurahan").first()
        if household is None:
            raise Refused(_("No household with this KK number in your area."))
        rule = None
        if row.get("rule"):
            rule = EligibilityRule.objects.filter(name=row["rule"]).first()
            if rule is None:
                raise Refused(_("No rule named %(name)s.") % {"name": row["rule"][:60]})
        before = ForumDecision.objects.filter(forum=forum, household=household, rule=rule).first()
        if before is not None and (before.action, before.reason) == (row["decision"], row.get("reason", "").strip()):
            return "unchanged"
        services.record_decision(
            actor=self.actor,
            forum=forum,
            household=household,
            action=row["decision"],
            reason=row.get("reason", ""),
            rule=rule,
        )
        return "inserted" if before is None else "updated"


PROPOSAL_COLUMNS = ("code", "title", "kelurahan_code", "category", "proposer")
PROPOSAL_OPTIONAL = ("rt", "problem", "estimated_cost", "stage")
REVIEW_COLUMNS = ("code", "berita_acara", "outcome")
REVIEW_OPTIONAL = ("score", "votes_for", "votes_against", "note", "merged_into")


def _number(text: str, column: str) -> int:
    cleaned = text.replace(".", "").strip()
    if not cleaned:
        return 0
    if not cleaned.isdigit():
        raise Refused(_("%(column)s is not a whole number.") % {"column": column})
    return int(cleaned)


class ProposalImporter(_Importer):
    columns, optional = PROPOSAL_COLUMNS, PROPOSAL_OPTIONAL

    def one(self, row: dict[str, str]) -> str:
        kelurahan = visible_regions(self.actor).filter(code=row["kelurahan_code"]).first()
        if kelurahan is None:
            raise Refused(_("No area %(code)s among yours.") % {"code": row["kelurahan_code"][:20] or "-"})
        values: dict[str, Any] = {
            "title": row["title"],
            "kelurahan": kelurahan,
            "category": row["category"],
            "proposer": row["proposer"],
            "stage": row.get("stage") or c.ForumKind.REMBUG_WARGA,
            "rt": row.get("rt", ""),
            "problem": row.get("problem", ""),
            "estimated_cost": _number(row.get("estimated_cost", ""), "estimated_cost"),
        }
        existing = Proposal.objects.filter(code=row["code"]).first()
        if existing is not None and all(getattr(existing, k) == v for k, v in values.items()):
            return "unchanged"
        _proposal, created = services.save_proposal(actor=self.actor, code=row["code"], **values)
        return "inserted" if created else "updated"


class ReviewImporter(_Importer):
    columns, optional = REVIEW_COLUMNS, REVIEW_OPTIONAL

    def one(self, row: dict[str, str]) -> str:
        proposal = Proposal.objects.restrict(self.actor, "view").filter(code=row["code"]).first()
        if proposal is None:
            raise Refused(_("No proposal %(code)s in your areas.") % {"code": row["code"][:40] or "-"})
        forum = Forum.objects.restrict(self.actor, "view").filter(berita_acara=row["berita_acara"]).first()
        if forum is None:
            raise Refused(
                _("No forum with berita acara %(ba)s in your areas.") % {"ba": row["berita_acara"][:60] or "-"}
            )
        merged_into = None
        if row.get("merged_into"):
            merged_into = Proposal.objects.restrict(self.actor, "view").filter(code=row["merged_into"]).first()
            if merged_into is None:
                raise Refused(_("No proposal %(code)s in your areas.") % {"code": row["merged_into"][:40]})
        values: dict[str, Any] = {
            "score": _number(row.get("score", ""), "score"),
            "votes_for": _number(row.get("votes_for", ""), "votes_for"),
            "votes_against": _number(row.get("votes_against", ""), "votes_against"),
            "outcome": row["outcome"],
            "note": row.get("note", "").strip(),
        }
        before = Review.objects.filter(proposal=proposal, forum=forum).first()
        if before is not None and all(getattr(before, k) == v for k, v in values.items()):
            return "unchanged"
        services.review_proposal(actor=self.actor, proposal=proposal, forum=forum, merged_into=merged_into, **values)
        return "inserted" if before is None else "updated"


PARTNER_COLUMNS = ("code", "name", "kind")
PARTNER_OPTIONAL = (
    "contact_person",
    "contact",
    "users",
    "agreement_kind",
    "agreement_number",
    "signed_on",
    "start",
    "end",
    "scope",
    "kelurahan_codes",
)
CONTRIBUTION_COLUMNS = ("partner", "kind", "description", "programme", "year")
CONTRIBUTION_OPTIONAL = (
    "activity",
    "kelurahan_code",
    "pledged_value",
    "delivered_value",
    "pledged_quantity",
    "delivered_quantity",
    "unit",
    "delivered_on",
)


class PartnerImporter(_Importer):
    """One row per partner (and, optionally, one of its MoU/PKS)."""

    columns, optional = PARTNER_COLUMNS, PARTNER_OPTIONAL

    def one(self, row: dict[str, str]) -> str:
        from entas.accounts.models import User

        names = row.get("users", "").split()
        users = list(User.objects.filter(username__in=names))
        if len(users) != len(set(names)):
            missing = sorted(set(names) - {u.username for u in users})
            raise Refused(_("No user %(name)s.") % {"name": ", ".join(missing)[:60]})
        before = Partner.objects.filter(code=row["code"]).first()
        same = (
            before is not None
            and (before.name, before.kind, before.contact_person, before.contact)
            == (
                row["name"],
                row["kind"],
                row.get("contact_person", ""),
                row.get("contact", ""),
            )
            and {u.pk for u in before.users.all()} == {u.pk for u in users}
        )
        agreement_same = True
        partner = before
        if not same:
            partner, _created = services.save_partner(
                actor=self.actor,
                code=row["code"],
                name=row["name"],
                kind=row["kind"],
                contact_person=row.get("contact_person", ""),
                contact=row.get("contact", ""),
                users=users,
            )
        assert partner is not None
        if row.get("agreement_number"):
            codes = row.get("kelurahan_codes", "").split()
            kelurahan = list(Region.objects.filter(code__in=codes))
            if len(kelurahan) != len(set(codes)):
                raise Refused(_("Unknown kelurahan among %(codes)s.") % {"codes": " ".join(codes)[:60]})
            dates = (_date(row.get("signed_on", "")), _date(row.get("start", "")), _date(row.get("end", "")))
            old = Agreement.objects.filter(partner=partner, number=row["agreement_number"]).first()
            agreement_same = (
                old is not None
                and (old.kind, old.signed_on, old.start, old.end, old.scope)
                == (
                    row.get("agreement_kind", ""),
                    *dates,
                    row.get("scope", ""),
                )
                and {k.pk for k in old.kelurahan.all()} == {k.pk for k in kelurahan}
            )
            if not agreement_same:
                services.save_agreement(
                    actor=self.actor,
                    partner=partner,
                    kind=row.get("agreement_kind", ""),
                    number=row["agreement_number"],
                    signed_on=dates[0],
                    start=dates[1],
                    end=dates[2],
                    scope=row.get("scope", ""),
                    kelurahan=kelurahan,
                )
        if before is None:
            return "inserted"
        return "unchanged" if same and agreement_same else "updated"


class ContributionImporter(_Importer):
    """One row per contribution: a partner, a programme (and activity) of the register, a kelurahan or
    the city, a year, a kind and what it is; pledged and delivered."""

    columns, optional = CONTRIBUTION_COLUMNS, CONTRIBUTION_OPTIONAL

    def one(self, row: dict[str, str]) -> str:
        from entas.policy.models import Activity, ProgrammeRecord

        partner = Partner.objects.filter(code=row["partner"]).first()
        if partner is None:
            raise Refused(_("No partner %(code)s.") % {"code": row["partner"][:40] or "-"})
        record = ProgrammeRecord.objects.filter(code=row["programme"]).order_by("-pk").first()
        if record is None:
            raise Refused(_("No programme with register code %(code)s.") % {"code": row["programme"][:20] or "-"})
        activity = None
        if row.get("activity"):
            activity = Activity.objects.filter(record=record, code=row["activity"]).first()
            if activity is None:
                raise Refused(_("The programme has no activity %(code)s.") % {"code": row["activity"][:30]})
        kelurahan = None
        if row.get("kelurahan_code"):
            kelurahan = Region.objects.filter(code=row["kelurahan_code"]).first()
            if kelurahan is None:
                raise Refused(_("Unknown kelurahan among %(codes)s.") % {"codes": row["kelurahan_code"][:20]})
        year = _number(row["year"], "year")
        if not 2000 <= year <= 2100:
            raise Refused(_("%(column)s is not a whole number.") % {"column": "year"})
        values: dict[str, Any] = {
            "pledged_value": _number(row.get("pledged_value", ""), "pledged_value"),
            "delivered_value": _number(row.get("delivered_value", ""), "delivered_value"),
            "pledged_quantity": _number(row.get("pledged_quantity", ""), "pledged_quantity"),
            "delivered_quantity": _number(row.get("delivered_quantity", ""), "delivered_quantity"),
            "unit": row.get("unit", ""),
            "delivered_on": _date(row["delivered_on"]) if row.get("delivered_on") else None,
        }
        before = Contribution.objects.filter(
            partner=partner,
            record=record,
            activity=activity,
            kelurahan=kelurahan,
            year=year,
            kind=row["kind"],
            description=row["description"],
        ).first()
        if before is not None and all(getattr(before, k) == v for k, v in values.items()):
            return "unchanged"
        services.record_contribution(
            actor=self.actor,
            partner=partner,
            kind=row["kind"],
            description=row["description"],
            record=record,
            year=year,
            activity=activity,
            kelurahan=kelurahan,
            contribution=before,
            **values,
        )
        return "inserted" if before is None else "updated"


IMPORTERS: dict[str, type[_Importer]] = {
    "partners": PartnerImporter,
    "contributions": ContributionImporter,
    "forums": ForumImporter,
    "decisions": DecisionImporter,
    "proposals": ProposalImporter,
    "reviews": ReviewImporter,
}


def import_file(kind: str, path: Path, *, name: str, actor: User, rejection_path: Path, **kwargs: Any) -> RowCounts:
    importer = IMPORTERS[kind](actor=actor, rejection_path=rejection_path, progress=kwargs.get("progress"))
    return importer.run(path, name, on_total=kwargs.get("on_total"))
