"""The registry's part of personal-data protection (UU 27/2022; docs/privacy.md): finding the person
a data-subject access report is about, the registry's sections of it, producing the report (an
authorised role, the person within the user's areas, audited), and anonymising members who left the
registry longer ago than the retention period."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.db.models.functions import TruncYear
from django.utils import timezone
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.core import audit, personaldata
from entas.core.errors import Refused
from entas.core.ids import mask_nik
from entas.core.personaldata import ANONYMISED_NAME, ANONYMISED_NIK_PREFIX, Report, Section, Subject
from entas.core.services import service

from .models import ChangeRequest, Household, KKNumber, Member, Membership

if TYPE_CHECKING:
    from entas.accounts.models import User

MEMBER_FIELDS = [
    "nik",
    "name",
    "sex",
    "birth_date",
    "relationship",
    "marital_status",
    "school_level",
    "diploma",
    "employment_status",
    "chronic_illness",
    "health_insurance",
    "exited_on",
    "exit_reason",
    "created_at",
    "updated_at",
]
HOUSEHOLD_FIELDS = [
    "kk_number",
    "kelurahan",
    "address",
    "rt",
    "rw",
    "latitude",
    "longitude",
    "verification_status",
    "verified_at",
    "desil_city",
    "created_at",
]


def subject_for(nik: str) -> tuple[Subject, Member] | None:
    """The person with this NIK (their record, the tombstones merged into it, every family they
    belonged to), or None."""
    member = Member.objects.filter(nik=nik).select_related("household__kelurahan").first()
    if member is None:
        return None
    member_ids = {member.pk, *Member.objects.filter(merged_into=member).values_list("pk", flat=True)}
    household_ids = {
        member.household_id,
        *Membership.objects.filter(member_id__in=member_ids).values_list("household_id", flat=True),
    }
    return Subject(nik=nik, member_ids=tuple(sorted(member_ids)), household_ids=tuple(sorted(household_ids))), member


def find_person(user: User, nik: str) -> Member | None:
    """The person with this NIK within the user's areas (the page's search before a report)."""
    return Member.objects.restrict(user, "view").filter(nik=nik.strip()).select_related("household__kelurahan").first()


@personaldata.provider("registry.person", order=10)
def _person(subject: Subject) -> list[Section]:
    members = Member.objects.filter(pk__in=subject.member_ids).order_by("pk")
    households = Household.objects.filter(pk__in=subject.household_ids).order_by("pk")
    changes = ChangeRequest.objects.filter(household_id__in=subject.household_ids).order_by("requested_at", "pk")
    kk = KKNumber.objects.filter(household_id__in=subject.household_ids).order_by("valid_from", "pk")
    memberships = Membership.objects.filter(member_id__in=subject.member_ids).order_by("start_date", "pk")
    return [
        Section(
            "registry.member",
            _("Registry: the person"),
            personaldata.rows_of(members, [*MEMBER_FIELDS, "merged_into"]),
            [("registry.member", str(pk)) for pk in subject.member_ids],
        ),
        Section(
            "registry.household",
            _("Registry: families (Kartu Keluarga)"),
            personaldata.rows_of(households, HOUSEHOLD_FIELDS),
            [("registry.household", str(pk)) for pk in subject.household_ids],
        ),
        Section(
            "registry.membership",
            _("Registry: family membership history"),
            personaldata.rows_of(memberships, ["household", "relationship", "start_date", "end_date"]),
        ),
        Section(
            "registry.kk_number",
            _("Registry: KK number history"),
            personaldata.rows_of(kk, ["kk_number", "valid_from", "valid_to"]),
        ),
        Section(
            "registry.change_request",
            _("Registry: change requests for the family"),
            personaldata.rows_of(changes, ["kind", "reason", "status", "requested_at", "decided_at", "decision_note"]),
            [("registry.changerequest", str(pk)) for pk in changes.values_list("pk", flat=True)],
        ),
    ]


@service
def access_report(*, actor: User, nik: str) -> Report:
    """Everything the installation holds about the person with this NIK (UU 27/2022 art. 7), for an
    authorised role (Capability.REPORT_PERSONAL_DATA) and a person within the user's areas. The
    report is audited as ``privacy.access_report`` on the member."""
    if not actor.can(Capability.REPORT_PERSONAL_DATA):
        raise Refused(_("You may not produce personal data reports."), code="forbidden")
    nik = nik.strip()
    found = subject_for(nik)
    # Someone outside the user's areas is "not found", as on every page: the answer reveals nothing.
    if found is None or not Member.objects.restrict(actor, "view").filter(pk=found[1].pk).exists():
        raise Refused(_("No person with NIK %(nik)s in your areas.") % {"nik": mask_nik(nik)}, code="not_found")
    subject, member = found
    audit.record(
        actor=actor,
        action="privacy.access_report",
        obj=member,
        object_repr=member.masked_nik,
        region_code=member.household.kelurahan.code,
    )
    return Report(
        nik=nik,
        name=member.name,
        generated_at=timezone.now(),
        generated_by=actor.get_username(),
        sections=personaldata.collect(subject),
    )


def households_leaving(before: dt.date) -> QuerySet[Household]:
    """Families not yet anonymised with no member who stays identifiable: each member anonymised
    already or due now (left before ``before``). What modules above the registry anonymise of a family
    (its bank account, a complaint's contact) is theirs to purge, before the registry's own purger."""
    identifiable = Member.objects.exclude(nik__startswith=ANONYMISED_NIK_PREFIX).exclude(exited_on__lt=before)
    return (
        Household.objects.exclude(kk_number__startswith=ANONYMISED_NIK_PREFIX)
        .filter(members__isnull=False)
        .exclude(members__in=identifiable)
        .distinct()
    )


@personaldata.purger("registry.members", order=90)
def purge_exited(before: dt.date, dry_run: bool) -> dict[str, int]:
    """Members who left (died, moved away) before ``before``: name, NIK, the reason for leaving and
    the birth day (the year stays) are replaced; sex, year of birth and the Regsosek answers stay for
    the statistics. A family whose members have all been anonymised loses its KK numbers, address,
    RT/RW and coordinates (the kelurahan and the housing answers stay). Change requests naming them
    lose their details."""
    members = Member.objects.filter(exited_on__lt=before).exclude(nik__startswith=ANONYMISED_NIK_PREFIX)
    gone = households_leaving(before)
    niks = list(members.values_list("nik", flat=True))
    counts = {"members_anonymised": len(niks), "households_anonymised": gone.count(), "change_requests_redacted": 0}
    for start in range(0, len(niks), 5000):
        chunk = ChangeRequest.objects.filter(payload__nik__in=niks[start : start + 5000])
        counts["change_requests_redacted"] += chunk.count() if dry_run else chunk.update(payload={"_redacted": True})
    if dry_run:
        return counts
    gone_ids = list(gone.values_list("pk", flat=True))
    for start in range(0, len(gone_ids), 5000):
        ids = gone_ids[start : start + 5000]
        KKNumber.objects.filter(household_id__in=ids).update(kk_number=personaldata.nik_expression("household_id"))
        Household.objects.filter(pk__in=ids).update(
            kk_number=personaldata.nik_expression(),
            address="",
            rt="",
            rw="",
            latitude=None,
            longitude=None,
            updated_at=timezone.now(),
        )
    counts["members_anonymised"] = members.update(
        nik=personaldata.nik_expression(),
        name=ANONYMISED_NAME,
        name_key="",
        name_key_rev="",
        exit_reason="",
        birth_date=TruncYear("birth_date"),
        updated_at=timezone.now(),
    )
    return counts
