from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.accounts.roles import ROLE_CAPABILITIES, Capability, Role

pytestmark = pytest.mark.django_db


def test_pages_need_a_login() -> None:
    response = Client().get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_logs_in_and_out(operator_manggar: User) -> None:
    client = Client()
    response = client.post(reverse("login"), {"username": "op.manggar", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_login_is_locked_after_repeated_failures(operator_manggar: User) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "op.manggar", "password": "wrong-password"})
    # Even the right password is refused while the lock lasts.
    response = client.post(reverse("login"), {"username": "op.manggar", "password": "correct-horse-battery"})
    assert response.status_code == 429
    assert client.get(reverse("home")).status_code == 302


def test_passwords_are_stored_with_argon2(operator_manggar: User) -> None:
    assert operator_manggar.password.startswith("argon2")


def test_sessions_expire() -> None:
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_each_role_has_the_capabilities_its_job_needs() -> None:
    assert ROLE_CAPABILITIES[Role.ADMIN] == frozenset(Capability)
    assert Capability.VIEW_AUDIT in ROLE_CAPABILITIES[Role.AUDITOR]
    assert Capability.CHANGE_REGISTRY not in ROLE_CAPABILITIES[Role.AUDITOR]
    assert Capability.VIEW_REGISTRY not in ROLE_CAPABILITIES[Role.TKPK_ANALYST]
    assert Capability.APPROVE_PROGRAMMES in ROLE_CAPABILITIES[Role.DINSOS_MANAGER]
    # A partner sees aggregates and the programmes its organisation funds (the policy register), no person.
    assert ROLE_CAPABILITIES[Role.PARTNER] == frozenset({Capability.VIEW_SUMMARY, Capability.VIEW_FUNDED_POLICY})
    assert set(ROLE_CAPABILITIES) == set(Role)


def test_an_inactive_user_can_do_nothing(operator_manggar: User) -> None:
    operator_manggar.is_active = False
    assert not operator_manggar.can(Capability.VIEW_SUMMARY)
