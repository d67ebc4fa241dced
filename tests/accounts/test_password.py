"""Every logged-in user changes their own password on a page of entas (Indonesian by default),
with the old one, and the change is audited without the password in it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.core.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW = "lumbung-padi-Manggar-2026"


def test_every_role_finds_the_page_from_the_top_bar(
    client_for: Callable[[User], Client],
    operator_manggar: User,
    dinsos_manager: User,
    tkpk_analyst: User,
    auditor: User,
    partner: User,
    admin_user: User,
) -> None:
    url = reverse("password_change")
    for user in (operator_manggar, dinsos_manager, tkpk_analyst, auditor, partner, admin_user):
        client = client_for(user)
        assert f'href="{url}"' in client.get(reverse("home")).content.decode(), user.username
        page = client.get(url)
        assert page.status_code == 200
        assert "Ubah kata sandi" in page.content.decode()  # Indonesian by default


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login() -> None:
    response = Client().get(reverse("password_change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_user_changes_their_password_and_it_is_audited_without_the_password(operator_manggar: User) -> None:
    here, elsewhere = Client(), Client()
    for client in (here, elsewhere):
        client.post(reverse("login"), {"username": "op.manggar", "password": "correct-horse-battery"})
    response = here.post(
        reverse("password_change"),
        {"old_password": "correct-horse-battery", "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    operator_manggar.refresh_from_db()
    assert operator_manggar.check_password(NEW)
    event = AuditEvent.objects.get(action="user.password_change")
    assert event.actor == operator_manggar and event.object_id == str(operator_manggar.pk)
    assert NEW not in str(event.before) + str(event.after) + event.note
    assert "correct-horse-battery" not in str(event.before) + str(event.after) + event.note
    # This session goes on; every other session of the account ends.
    assert here.get(reverse("home")).status_code == 200
    assert elsewhere.get(reverse("home")).status_code == 302


def test_a_wrong_old_password_or_a_weak_new_one_changes_nothing(
    client_for: Callable[[User], Client], operator_manggar: User
) -> None:
    client = client_for(operator_manggar)
    wrong = client.post(
        reverse("password_change"), {"old_password": "not-my-password", "new_password1": NEW, "new_password2": NEW}
    )
    assert wrong.status_code == 200 and "salah" in wrong.content.decode()  # "Kata sandi lama Anda salah"
    weak = client.post(
        reverse("password_change"),
        {"old_password": "correct-horse-battery", "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert weak.status_code == 200 and "terlalu" in weak.content.decode()  # too short / too common
    operator_manggar.refresh_from_db()
    assert operator_manggar.check_password("correct-horse-battery")
    assert not AuditEvent.objects.filter(action="user.password_change").exists()


def test_the_service_refuses_a_password_the_validators_reject(operator_manggar: User) -> None:
    from entas.accounts.services import change_password
    from entas.core.errors import Refused

    with pytest.raises(Refused) as refused:
        change_password(actor=operator_manggar, new_password="op.manggar")
    assert refused.value.code == "invalid"
    operator_manggar.refresh_from_db()
    assert operator_manggar.check_password("correct-horse-battery")
