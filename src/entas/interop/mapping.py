"""The Regsosek household and member as DCI social-registry records (Group, Member, SRPerson), and
the DCI query attributes as database filters. docs/interop.md tabulates the mapping."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from entas.registry import choices as rc
from entas.registry.models import Household, Member

from .rules import Condition

CONTEXT = {
    "spdci": "https://schema.spdci.org/extensions/social/v1/",
    "common": "https://schema.spdci.org/common/v1/",
}
SEX: dict[str, str] = {rc.Sex.MALE: "male", rc.Sex.FEMALE: "female"}
SEX_CODES: dict[str, str] = {
    "male": rc.Sex.MALE,
    "female": rc.Sex.FEMALE,
    "m": rc.Sex.MALE,
    "f": rc.Sex.FEMALE,
    "1": "1",
    "2": "2",
}
MARITAL: dict[str, str] = {
    rc.MaritalStatus.SINGLE: "single",
    rc.MaritalStatus.MARRIED: "married",
    rc.MaritalStatus.DIVORCED: "divorced",
    rc.MaritalStatus.WIDOWED: "widowed",
}
MARITAL_CODES = {v: k for k, v in MARITAL.items()}
RELATIONSHIP: dict[str, str] = {
    rc.Relationship.HEAD: "head",
    rc.Relationship.SPOUSE: "spouse",
    rc.Relationship.CHILD: "child",
    rc.Relationship.CHILD_IN_LAW: "child_in_law",
    rc.Relationship.GRANDCHILD: "grandchild",
    rc.Relationship.PARENT: "parent",
    rc.Relationship.DOMESTIC_WORKER: "domestic_worker",
    rc.Relationship.OTHER: "other",
}
RELATIONSHIP_CODES = {v: k for k, v in RELATIONSHIP.items()}
EDUCATION = {
    "0": "none",
    "1": "primary",
    "2": "lower_secondary",
    "3": "upper_secondary",
    "4": "post_secondary",
    "5": "bachelor",
    "6": "postgraduate",
}
DIFFICULTY_FIELDS = [f"difficulty_{name}" for name, _letter in rc.DIFFICULTY_DOMAINS]

# attribute -> the field it reads, per entity
GROUP_FIELDS = {
    "kk_number": "kk_number",
    "nik": "members__nik",
    "location": "kelurahan__code",
    "rt": "rt",
    "rw": "rw",
    "desil_national": "desil_national",
    "poverty_score": "desil_national",
    "desil_city": "desil_city",
    "verification_status": "verification_status",
    "group_size": "group_size",
    "registration_date": "created_at__date",
    "last_updated": "updated_at__date",
}
MEMBER_FIELDS = {
    "nik": "nik",
    "kk_number": "household__kk_number",
    "location": "household__kelurahan__code",
    "sex": "sex",
    "birth_date": "birth_date",
    "marital_status": "marital_status",
    "relationship_head": "relationship",
    "registration_date": "created_at__date",
    "last_updated": "updated_at__date",
}
_LOOKUPS = {"eq": "exact", "lt": "lt", "le": "lte", "gt": "gt", "ge": "gte", "in": "in"}


def _translate(attribute: str, value: Any) -> Any:
    """A DCI value as stored (male -> 1)."""
    tables: dict[str, dict[str, str]] = {
        "sex": SEX_CODES,
        "marital_status": MARITAL_CODES,
        "relationship_head": RELATIONSHIP_CODES,
    }
    table = tables.get(attribute)
    if table is None:
        return value
    if isinstance(value, tuple):
        return tuple(table.get(str(v).lower(), v) for v in value)
    return table.get(str(value).lower(), value)


def to_q(condition: Condition, fields: dict[str, str]) -> Q:
    """A query tree as a filter."""
    if condition.op in ("and", "or"):
        parts = [to_q(c, fields) for c in condition.children]
        result = parts[0]
        for part in parts[1:]:
            result = result & part if condition.op == "and" else result | part
        return result
    if condition.op == "not":
        return ~to_q(condition.children[0], fields)
    field = fields[condition.attribute]
    value = _translate(condition.attribute, condition.value)
    if condition.attribute == "location" and condition.op in ("eq", "ne", "in"):
        codes = value if isinstance(value, tuple) else (value,)
        q = Q()
        for code in codes:  # a kecamatan code finds its kelurahan
            q |= Q(**{field: code}) | Q(**{f"{field}__startswith": f"{code}."})
        return ~q if condition.op == "ne" else q
    if condition.op == "ne":
        return ~Q(**{field: value})
    return Q(**{f"{field}__{_LOOKUPS[condition.op]}": value})


def uses(condition: Condition, attribute: str) -> bool:
    return condition.attribute == attribute or any(uses(c, attribute) for c in condition.children)


def filter_households(
    base: QuerySet[Household], condition: Condition, sort: list[tuple[str, bool]]
) -> QuerySet[Household]:
    qs = base
    if uses(condition, "group_size") or any(name == "group_size" for name, _d in sort):
        qs = qs.annotate(
            group_size=Count("members", filter=Q(members__exited_on__isnull=True, members__merged_into__isnull=True))
        )
    qs = qs.filter(to_q(condition, GROUP_FIELDS))
    order = [("-" if desc else "") + GROUP_FIELDS[name].replace("__date", "") for name, desc in sort]
    return qs.order_by(*order, "pk")


def filter_members(base: QuerySet[Member], condition: Condition, sort: list[tuple[str, bool]]) -> QuerySet[Member]:
    qs = base.filter(to_q(condition, MEMBER_FIELDS))
    order = [("-" if desc else "") + MEMBER_FIELDS[name].replace("__date", "") for name, desc in sort]
    return qs.order_by(*order, "pk")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _address(household: Household) -> dict[str, Any]:
    street = household.address
    if household.rt:
        street = f"{street} RT {household.rt}".strip()
    if household.rw:
        street = f"{street} RW {household.rw}".strip()
    return {
        "@type": "Address",
        "street_address": street,
        "locality": household.kelurahan.name,
        "region_code": household.kelurahan.code,
        "country": "ID",
    }


def member_record(member: Member, *, full_nik: bool, address: dict[str, Any] | None = None) -> dict[str, Any]:
    """A member as a DCI ``Member`` with its ``SRPerson``. The NIK is masked unless the caller's
    service user may see full NIKs."""
    nik = member.nik if full_nik else member.masked_nik
    identifier = [{"@type": "Identifier", "identifier_type": "NIK", "identifier_value": nik}]
    difficulties = [getattr(member, f) for f in DIFFICULTY_FIELDS]
    person: dict[str, Any] = {
        "@type": "SRPerson",
        "identifier": identifier,
        "name": {"@type": "Name", "given_name": member.name, "surname": "", "prefix": "", "suffix": ""},
        "sex": SEX.get(member.sex, ""),
        "birth_date": _iso(member.birth_date),
        "registration_date": _iso(member.created_at),
    }
    if address is not None:
        person["address"] = address
    return {
        "@type": "spdci:Member",
        "@id": f"https://{settings.ENTAS_DCI_ID}/member/{member.pk}",
        "member_identifier": identifier,
        "demographic_info": person,
        "relationship_head": RELATIONSHIP.get(member.relationship, "other"),
        "is_disabled": any(d in (rc.Difficulty.A_LOT, rc.Difficulty.CANNOT) for d in difficulties),
        "marital_status": MARITAL.get(member.marital_status, ""),
        "education_level": EDUCATION.get(member.diploma, ""),
        "employment_status": "employed" if member.worked else ("not_employed" if member.worked is False else ""),
        "registration_date": _iso(member.created_at),
        "last_updated": _iso(member.updated_at),
    }


def group_record(household: Household, members: list[Member], *, full_nik: bool) -> dict[str, Any]:
    """A household as a DCI ``Group`` (its current members, head first)."""
    address = _address(household)
    listed = [member_record(m, full_nik=full_nik, address=address) for m in members]
    head = next((r for m, r in zip(members, listed, strict=True) if m.relationship == rc.Relationship.HEAD), None)
    place: dict[str, Any] = {"@type": "Place", "address": address}
    if household.latitude is not None and household.longitude is not None:
        place["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": str(household.latitude),
            "longitude": str(household.longitude),
        }
    return {
        "@context": CONTEXT,
        "@id": f"https://{settings.ENTAS_DCI_ID}/group/{household.pk}",
        "@type": "spdci:Group",
        "group_identifier": [{"@type": "Identifier", "identifier_type": "KK", "identifier_value": household.kk_number}],
        "group_type": "household",
        "place": place,
        "poverty_score": household.desil_national,
        "poverty_score_type": "dtsen_desil_national",
        "group_head_info": head,
        "group_size": len(members),
        "member_list": listed,
        "registration_date": _iso(household.created_at),
        "last_updated": _iso(household.updated_at),
        "additional_attributes": [
            {"name": "desil_city", "value": household.desil_city},
            {"name": "desil_date", "value": _iso(household.desil_date)},
            {"name": "verification_status", "value": household.verification_status},
        ],
    }
