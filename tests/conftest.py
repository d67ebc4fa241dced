"""Shared fixtures: Balikpapan's regions and named personas (an operator of Kelurahan Manggar,
an operator of Kelurahan Damai, a Dinas Sosial manager, a TKPK analyst, an auditor, a partner)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.regions.models import Region
from entas.regions.services import DEFAULT_REGIONS_FILE, load_regions
from entas.registry.models import Household, Member

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED = PROJECT_ROOT.parent / "shared"

MANGGAR = "64.71.01.1001"
DAMAI = "64.71.06.1005"
CITY = "64.71"


# The database fixtures: a test that uses one (directly or through another fixture) is an integration test.
_DATABASE = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback", "live_server"}


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Mark the tiers: ``browser`` (marked by hand), ``integration`` (needs the database, or marked by
    hand: starts processes, a server, a file database, or runs a city-sized computation), ``unit``
    (everything else: pure functions on plain data, seconds). ``make test-fast`` runs the unit tier."""
    for item in items:
        if item.get_closest_marker("browser") or item.get_closest_marker("integration"):
            continue
        uses_database = item.get_closest_marker("django_db") or _DATABASE & set(getattr(item, "fixturenames", ()))
        item.add_marker(pytest.mark.integration if uses_database else pytest.mark.unit)


@pytest.fixture
def regions(db: Any) -> dict[str, Region]:
    load_regions(text=DEFAULT_REGIONS_FILE.read_text(encoding="utf-8"), actor=None, source="test")
    return {r.code: r for r in Region.objects.all()}


@pytest.fixture
def make_user(db: Any, regions: dict[str, Region]) -> Callable[..., User]:
    def make(username: str, role: Role, areas: list[str] | None = None, **extra: Any) -> User:
        user = User.objects.create_user(username=username, password="correct-horse-battery", role=role, **extra)
        user.areas.set([regions[c] for c in areas or []])
        return user

    return make


@pytest.fixture
def operator_manggar(make_user: Callable[..., User]) -> User:
    return make_user("op.manggar", Role.OPERATOR, [MANGGAR])


@pytest.fixture
def operator_damai(make_user: Callable[..., User]) -> User:
    return make_user("op.damai", Role.OPERATOR, [DAMAI])


@pytest.fixture
def dinsos_manager(make_user: Callable[..., User]) -> User:
    return make_user("dinsos1", Role.DINSOS_MANAGER, [CITY])


@pytest.fixture
def tkpk_analyst(make_user: Callable[..., User]) -> User:
    return make_user("tkpk", Role.TKPK_ANALYST, [CITY])


@pytest.fixture
def auditor(make_user: Callable[..., User]) -> User:
    return make_user("auditor", Role.AUDITOR, [CITY])


@pytest.fixture
def partner(make_user: Callable[..., User]) -> User:
    return make_user("mitra", Role.PARTNER, [])


@pytest.fixture
def admin_user(make_user: Callable[..., User]) -> User:
    return make_user("admin", Role.ADMIN, [], is_staff=True, is_superuser=True)


def make_household(kelurahan: Region, kk: str, members: int = 3) -> Household:
    """A synthetic household with valid-looking, obviously fake NIKs (serials from 9000)."""
    household = Household.objects.create(kk_number=kk, kelurahan=kelurahan, address="Jl. Contoh", rt="001", rw="002")
    prefix = kelurahan.code.replace(".", "")[:6]
    for i in range(members):
        female = i % 2 == 1
        Member.objects.create(
            household=household,
            nik=f"{prefix}{1 + 40 * female:02d}01{80 + i:02d}{9000 + int(kk[-3:]) * 10 + i:04d}",
            name=f"Warga Sintetis {kk[-3:]}-{i}",
            sex="2" if female else "1",
            birth_date=dt.date(1980 + i, 1, 1),
            relationship="1" if i == 0 else "3",
        )
    return household


@pytest.fixture
def manggar_household(regions: dict[str, Region]) -> Household:
    return make_household(regions[MANGGAR], "6471010101200001")


@pytest.fixture
def damai_household(regions: dict[str, Region]) -> Household:
    return make_household(regions[DAMAI], "6471060101200002", members=4)


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture(autouse=True)
def english_messages() -> Any:
    """Service messages are asserted in English; tests of the Indonesian text override this."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Uploads and job results go to a temporary folder, never into var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def open_data_uncached(settings: Any) -> None:
    """Open data is built fresh in each test (tests/portal/test_opendata.py tests its cache)."""
    settings.ENTAS_OPEN_DATA_CACHE_SECONDS = 0


# Property tests are reproducible and never fail on timing on a loaded CI machine.
from hypothesis import settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile("entas", derandomize=True, deadline=None, max_examples=100)
hypothesis_settings.load_profile("entas")
