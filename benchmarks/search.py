"""Registry search on a million members: NIK, KK prefix, a name with one wrong letter, an address.

Figure: the time of `search_households` (area-scoped, typo-tolerant, first page of 50 with counts)
for each kind of query, on the synthetic city loaded through the import. Floor: an indexed lookup
of one member by NIK through the ORM, in the same run. Target (issue 3): well under a second.

    .venv/bin/python benchmarks/search.py [--members 1000000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1_000_000)
    args = parser.parse_args()
    from _setup import best_of, django_setup, load_city, report

    django_setup()
    from entas.accounts.models import User
    from entas.accounts.roles import Role
    from entas.regions.models import Region
    from entas.registry.models import Member
    from entas.registry.selectors import SearchFilters, search_households

    load_city(int(args.members / 3.05), seed=4)
    manager = User.objects.create_user(username="bench", role=Role.DINSOS_MANAGER)
    manager.areas.set(Region.objects.filter(code="64.71"))
    sample = Member.objects.select_related("household").order_by("pk")[Member.objects.count() // 2]
    name = sample.name.split(" ", 1)[-1] if sample.name.startswith(("H. ", "Hj. ")) else sample.name
    typo = name[:2] + ("a" if name[2] != "a" else "e") + name[3:]

    def page(filters: SearchFilters) -> int:
        qs = search_households(manager, filters)
        return qs.count() + len(list(qs[:50]))

    floor = best_of(lambda: Member.objects.get(nik=sample.nik))
    cases = {
        "NIK": SearchFilters(query=sample.nik),
        "KK number prefix (12 digits)": SearchFilters(query=sample.household.kk_number[:12]),
        f"name with a typo ({typo!r})": SearchFilters(query=typo),
        "address word in one kelurahan": SearchFilters(query="Mawar", kelurahan=sample.household.kelurahan.code),
        "desil filter, one kelurahan": SearchFilters(max_desil=3, kelurahan=sample.household.kelurahan.code),
    }
    print(f"{Member.objects.count():,} members; floor (one member by NIK): {floor * 1000:.1f} ms")
    for label, filters in cases.items():
        t = best_of(lambda f=filters: page(f), repeat=3)
        print(f"{label:<44}{t * 1000:9.1f} ms  ({t / floor:.0f}x floor; target well under 1 s)")
        report(f"search: {label.split(' (')[0]}", t * 1000, "ms", floor=floor * 1000, target="well under 1 s")


if __name__ == "__main__":
    main()
