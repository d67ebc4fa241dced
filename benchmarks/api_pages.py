"""One page of households over the API, with a token, at the start and at the end of a large city.

Figure: the time of ``GET /api/v1/households?page_size=100`` (a service account's token with
``registry:read``: token check, rate limit, the audit event of the read, the area-scoped selector,
the cursor page and its JSON) at the first page and at a cursor near the last household, and the
peak Python memory of one page at each place (tracemalloc): the same at the end as at the start,
whatever the city's size, because a page is one keyset query (``WHERE id > cursor ORDER BY id LIMIT
101``). Floor: the page's own SQL through the ORM, in the same run. Target (issue 26): < 200 ms for a
million-member registry, constant memory.

    .venv/bin/python benchmarks/api_pages.py [--members 1000000]
"""

from __future__ import annotations

import argparse
import base64
import sys
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1_000_000)
    args = parser.parse_args()
    from _setup import best_of, django_setup, load_city, report

    django_setup()
    from django.core.cache import cache
    from django.test import Client

    from entas.accounts import tokens
    from entas.accounts.models import User
    from entas.accounts.roles import Role
    from entas.regions.models import Region
    from entas.registry.models import Household, Member

    load_city(int(args.members / 3.05), seed=26)
    admin = User.objects.create_user(username="bench.admin", role=Role.ADMIN)
    service = tokens.create_service_account(
        actor=admin, username="svc.bench", role=Role.DINSOS_MANAGER, areas=Region.objects.filter(code="64.71")
    )
    secret = tokens.create_token(
        actor=admin, user=service, name="bench", scopes="registry:read", rate_limit=10**9
    ).secret
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    last = Household.objects.order_by("-pk").values_list("pk", flat=True)[150]
    end_cursor = base64.b64encode(f"p={last}".encode()).decode()
    urls = {
        "first page": "/api/v1/households?page_size=100",
        "a page at the end": f"/api/v1/households?page_size=100&cursor={end_cursor}",
    }

    def get(url: str) -> int:
        response = client.get(url, secure=True)  # production settings redirect plain HTTP
        assert response.status_code == 200, (response.status_code, response.content[:500])
        return len(response.json()["results"])

    floor = best_of(lambda: len(list(Household.objects.filter(pk__gt=last).order_by("pk")[:101])))
    members = Member.objects.count()
    print(
        f"{members:,} members, {Household.objects.count():,} households; floor (the page's SQL): {floor * 1000:.1f} ms"
    )
    peaks = {}
    for label, url in urls.items():
        assert get(url) == 100
        cache.clear()
        t = best_of(lambda u=url: get(u), repeat=5)
        tracemalloc.start()
        get(url)
        peaks[label] = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        print(f"{label:<22}{t * 1000:9.1f} ms  peak {peaks[label]:.2f} MB  (target < 200 ms)")
        report(f"api: households, {label}", t * 1000, "ms", floor=floor * 1000, target="< 200 ms")
    report("api: households page peak memory (end)", peaks["a page at the end"], "MB", target="same as the first page")


if __name__ == "__main__":
    main()
