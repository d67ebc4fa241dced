"""The enterprise module's open dataset, published by the citizen portal (which lies below this module
and so cannot read it itself): the members of the fostered business groups by kelurahan and whether
their group still trades. Counts of people, suppressed below k like every count the portal publishes."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.portal import opendata
from entas.regions.models import Region, RegionLevel


def members_by_kelurahan() -> opendata.Table:
    from .models import Group

    columns = [("trading", _("Members of groups still trading")), ("closed", _("Members of groups that stopped"))]
    counts: dict[tuple[int, str], int] = {}
    for row in Group.objects.values("kelurahan").annotate(
        trading=Count("memberships", filter=Q(closed_on__isnull=True, memberships__left_on__isnull=True)),
        closed=Count("memberships", filter=Q(closed_on__isnull=False)),
    ):
        for code, _label in columns:
            counts[(row["kelurahan"], code)] = counts.get((row["kelurahan"], code), 0) + row[code]
    places = list(Region.objects.filter(level=RegionLevel.KELURAHAN).order_by("code"))
    values = [[counts.get((place.pk, code), 0) for code, _label in columns] for place in places]
    return opendata.Table(
        row_label=_("Kelurahan"),
        rows=[f"{place.code} {place.name}" for place in places],
        columns=[str(label) for _code, label in columns],
        values=values,
        published=opendata.suppress(values, opendata.k()),
        extra={},
    )


DATASET = opendata.Dataset(
    "enterprise-kelurahan",
    gettext_lazy("Business groups: members by kelurahan"),
    gettext_lazy(
        "The members of the business groups (KUBE, UMKM) the city fosters, by kelurahan, and whether their group "
        "still trades."
    ),
    gettext_lazy("Dinas Sosial and Dinas Koperasi UMKM Kota Balikpapan, economic empowerment (entas)"),
    members_by_kelurahan,
)
