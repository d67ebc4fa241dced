"""Fixtures the registry's tests share: families imported from a file, and the people of a change
request (an operator of Kelurahan Manggar asks, the Dinas Sosial manager decides)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from entas.accounts.models import User
from entas.registry import services
from entas.registry.importer import import_registry
from entas.registry.models import ChangeRequest, Household, Member
from tests.conftest import DAMAI, MANGGAR
from tests.helpers import english_client
from tests.registry.helpers import standard_family, write_csv


@pytest.fixture
def households(regions: Any, tmp_path: Path) -> dict[str, Household]:
    """Three families imported from a file, keyed by the last digit of their KK number: 1 (a floor of
    36 m²) and 2 in Kelurahan Manggar, 3 in Kelurahan Damai. Each is Budi Sintetis (the head), Siti
    Sintetis (his wife) and Andi Sintetis (their child, born 10 March 2010)."""
    rows = standard_family(MANGGAR, "6471010101200001", floor_area_m2=36)
    rows += standard_family(MANGGAR, "6471010101200002", serial=2000)
    rows += standard_family(DAMAI, "6471060101200003", serial=3000)
    import_registry(write_csv(tmp_path / "seed.csv", rows), actor=None, rejection_path=tmp_path / "r.csv")
    return {h.kk_number[-1]: h for h in Household.objects.all()}


@pytest.fixture
def child(households: dict[str, Household]) -> Member:
    """Andi Sintetis, the child of family 1."""
    return households["1"].members.get(relationship="3")


@pytest.fixture
def approver(client_for: Callable[[User], Client], dinsos_manager: User) -> Client:
    """The Dinas Sosial manager, who decides change requests, on the pages in English."""
    return english_client(client_for, dinsos_manager)


@pytest.fixture
def correction(households: dict[str, Household], child: Member, operator_manggar: User) -> ChangeRequest:
    """A pending change request of the operator of Manggar: Andi's name is Andy, and he was born a day
    later (his birth certificate says so)."""
    return services.request_change(
        actor=operator_manggar,
        household=households["1"],
        kind="correct_member",
        payload=services.correction_payload(child, {"name": "Andy Sintetis", "birth_date": dt.date(2010, 3, 11)}),
        reason="akta lahir",
    )
