"""The registry over the API: one page of households is read as one page, whatever the city's size."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from entas.accounts.models import User
from tests.conftest import MANGGAR, make_household

pytestmark = pytest.mark.django_db


def _household_reads(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if re.search(r'FROM "registry_household"', q["sql"])]


@pytest.mark.parametrize("families", [3, 12])
def test_a_page_of_households_is_read_from_the_database_as_one_page(
    regions: dict[str, Any], client_for: Any, dinsos_manager: User, families: int
) -> None:
    for i in range(families):
        make_household(regions[MANGGAR], f"647101010120{i:04d}")
    client = client_for(dinsos_manager)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/api/v1/households?page_size=2").json()
    assert len(page["results"]) == 2 and page["next"]
    reads = _household_reads(queries)
    # Before, every household the user may see was read and turned into an object, then one page kept.
    assert reads and all("LIMIT" in sql for sql in reads), reads
    following = client.get(page["next"]).json()
    assert {h["id"] for h in following["results"]}.isdisjoint({h["id"] for h in page["results"]})


def test_the_api_answers_one_error_object(client_for: Any, operator_manggar: User, regions: dict[str, Any]) -> None:
    client = client_for(operator_manggar)
    missing = client.get("/api/v1/households/999999")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found" and set(missing.json()) == {"code", "message", "field", "issues"}
    forbidden = client.get("/api/v1/programmes")
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"
