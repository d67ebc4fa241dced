"""The home page's per-kelurahan summary on a city-sized registry.

Figure: time of the area-scoped summary selector. Floor: a bare GROUP BY count of members per
kelurahan over the same tables in raw SQL, measured in the same run. Target: within 3x of the floor.

    .venv/bin/python benchmarks/summary.py [--households 250000]
"""

from __future__ import annotations

import argparse
import datetime as dt

from _setup import best_of, django_setup, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=250_000)
    args = parser.parse_args()
    django_setup()

    import numpy as np
    from django.db import connection, transaction

    from entas.accounts.models import User
    from entas.accounts.roles import Role
    from entas.regions.models import Region
    from entas.registry.models import Household, Member
    from entas.registry.selectors import summary_by_kelurahan

    kelurahan = list(Region.objects.kelurahan())
    rng = np.random.default_rng(1)
    where = rng.integers(0, len(kelurahan), args.households)
    sizes = rng.integers(1, 7, args.households)
    with transaction.atomic():
        Household.objects.bulk_create(
            (Household(kk_number=f"{6471000000000000 + i}", kelurahan=kelurahan[k]) for i, k in enumerate(where)),
            batch_size=5000,
        )
    ids = list(Household.objects.order_by("pk").values_list("pk", flat=True))
    members = (
        Member(
            household_id=hid,
            nik=f"{6471010000000000 + n}",
            name="x",
            sex="1",
            birth_date=dt.date(1990, 1, 1),
            relationship="1",
        )
        for n, (hid, size) in enumerate((h, s) for h, s in zip(ids, sizes, strict=True) for _ in range(s))
    )
    with transaction.atomic():
        Member.objects.bulk_create(members, batch_size=5000)
    people = int(sizes.sum())
    manager = User.objects.create_user(username="bench", role=Role.DINSOS_MANAGER)
    manager.areas.set(Region.objects.filter(code="64.71"))

    def floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT h.kelurahan_id, COUNT(DISTINCT h.id), COUNT(m.id) FROM registry_household h "
                "LEFT JOIN registry_member m ON m.household_id = h.id GROUP BY h.kelurahan_id"
            )
            cursor.fetchall()

    def figure() -> None:
        rows = summary_by_kelurahan(manager)
        assert sum(r["people"] for r in rows) == people

    t_floor, t_fig = best_of(floor), best_of(figure)
    print(f"registry: {args.households:,} households, {people:,} people on {connection.vendor}")
    print(f"floor   (raw GROUP BY):        {t_floor * 1000:8.1f} ms")
    print(f"summary (area-scoped selector): {t_fig * 1000:8.1f} ms  = {t_fig / t_floor:.2f}x floor (target <= 3x)")
    report("home-page summary by kelurahan", t_fig * 1000, "ms", floor=t_floor * 1000, target="≤ 3x the floor")


if __name__ == "__main__":
    main()
