"""Demo accounts: one per role, so every screen can be shown. Never for production."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass

from entas.core import audit
from entas.core.services import service
from entas.regions.models import Region

from .models import User
from .roles import Role

CITY = "64.71"
SERVICE_ACCOUNT = "svc.bank"
# (username, first name, role, area codes, organisation)
DEMO_USERS: list[tuple[str, str, Role, list[str], str]] = [
    ("admin", "Admin Sistem", Role.ADMIN, [CITY], "Diskominfo"),
    ("dinsos1", "Manajer Dinsos Satu", Role.DINSOS_MANAGER, [CITY], "Dinas Sosial"),
    ("dinsos2", "Manajer Dinsos Dua", Role.DINSOS_MANAGER, [CITY], "Dinas Sosial"),
    ("op.manggar", "Operator Manggar", Role.OPERATOR, ["64.71.01.1001"], "Kelurahan Manggar"),
    ("op.damai", "Operator Damai", Role.OPERATOR, ["64.71.06.1005"], "Kelurahan Damai"),
    ("op.sepinggan", "Operator Sepinggan", Role.OPERATOR, ["64.71.05.1002"], "Kelurahan Sepinggan"),
    ("pelatihan", "Petugas Pelatihan", Role.TRAINING_OFFICER, [CITY], "Disnaker / DKUMKMP"),
    ("tkpk", "Analis TKPK", Role.TKPK_ANALYST, [CITY], "Bappeda Litbang"),
    # A second editor of the policy register: the checker of the TKPK analyst's adjustments.
    ("bappeda", "Kepala Bidang Bappeda", Role.TKPK_ANALYST, [CITY], "Bappeda Litbang"),
    ("auditor", "Auditor Inspektorat", Role.AUDITOR, [CITY], "Inspektorat"),
    ("mitra", "Mitra CSR", Role.PARTNER, [], "Forum CSR Kota Balikpapan"),
]


@dataclass
class DemoLogin:
    username: str
    password: str
    role: str
    areas: list[str]


@service
def create_demo_users() -> list[DemoLogin]:
    """Create (or reset) the demo users with fresh random passwords, returned for printing once."""
    logins = []
    for username, name, role, codes, organisation in DEMO_USERS:
        areas = list(Region.objects.filter(code__in=codes))
        missing = set(codes) - {a.code for a in areas}
        if missing:
            raise ValueError(f"Regions {sorted(missing)} are not loaded; run 'entas load_regions' first.")
        password = secrets.token_urlsafe(9)
        user, _ = User.objects.get_or_create(username=username)
        user.first_name = name
        user.role = role
        user.organisation = organisation
        user.is_staff = user.is_superuser = role == Role.ADMIN
        user.is_active = True
        user.set_password(password)
        user.save()
        user.areas.set(areas)
        audit.record(actor=None, action="user.demo_reset", obj=user, after={"role": role, "areas": codes})
        logins.append(DemoLogin(username, password, role.value, codes))
    _demo_service_account()
    return logins


def _demo_service_account() -> None:
    """A service account for the city's paying bank with one read-only token and one OAuth client
    (their secrets are not kept: the demo shows the pages, not working secrets), so the administrator's
    token and OAuth client pages are not empty."""
    from . import tokens

    if User.objects.filter(username=SERVICE_ACCOUNT).exists():
        return
    admin = User.objects.get(username="admin")
    bank = tokens.create_service_account(
        actor=admin,
        username=SERVICE_ACCOUNT,
        role=Role.DINSOS_MANAGER,
        areas=Region.objects.filter(code=CITY),
        organisation="Bank Kaltimtara (demo)",
    )
    tokens.create_token(
        actor=admin, user=bank, name="Rekonsiliasi pembayaran", scopes="programmes:read,registry:read", expires_days=90
    )
    # And an OAuth client (short-lived access tokens), so that the OAuth clients page is not empty either.
    from . import oauth

    oauth.create_client(
        actor=admin, user=bank, name="Bank Kaltimtara (OAuth)", scopes="programmes:read", expires_days=365
    )


def as_dicts(logins: list[DemoLogin]) -> list[dict[str, object]]:
    return [asdict(login) for login in logins]
