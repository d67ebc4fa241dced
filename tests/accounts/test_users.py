"""User administration: each change to an account (create, role and areas, deactivate, new password)
is an audited service, reached from the pages at /accounts/users/ by administrators only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from entas.accounts import services
from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.core.errors import Refused
from entas.core.models import AuditEvent
from entas.regions.models import Region
from tests.conftest import DAMAI, MANGGAR
from tests.helpers import english_client

pytestmark = pytest.mark.django_db
PASSWORD = "kuda-benar-baterai-staples"


@pytest.fixture
def admin_client(client_for: Callable[[User], Client], admin_user: User) -> Client:
    return english_client(client_for, admin_user)


def test_an_administrator_creates_an_account_with_its_role_and_areas(
    admin_client: Client, admin_user: User, regions: dict[str, Region]
) -> None:
    response = admin_client.post(
        "/accounts/users/new/",
        {
            "username": "op.baru",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "role": "operator",
            "areas": [regions[MANGGAR].pk],
            "organisation": "Kantor Kelurahan Manggar",
        },
    )
    user = User.objects.get(username="op.baru")
    assert response.status_code == 302 and response["Location"] == f"/accounts/users/{user.pk}/"
    assert user.role == Role.OPERATOR and user.check_password(PASSWORD) and not user.is_staff
    assert [a.code for a in user.areas.all()] == [MANGGAR]
    event = AuditEvent.objects.get(action="user.create")
    assert event.actor == admin_user and event.object_id == str(user.pk)
    assert event.after["role"] == "operator" and event.after["areas"] == [MANGGAR]
    assert PASSWORD not in str(event.after)


def test_a_new_account_needs_a_free_name_and_a_strong_password(admin_client: Client, operator_manggar: User) -> None:
    base = {"role": "operator", "password1": PASSWORD, "password2": PASSWORD}
    taken = admin_client.post("/accounts/users/new/", base | {"username": "OP.MANGGAR"})
    assert "is taken" in str(taken.context["form"].errors["username"])
    weak = admin_client.post(
        "/accounts/users/new/", base | {"username": "op.x", "password1": "12345", "password2": "12345"}
    )
    assert weak.context["form"].errors["password1"]
    differ = admin_client.post("/accounts/users/new/", base | {"username": "op.y", "password2": PASSWORD + "!"})
    assert "differ" in str(differ.context["form"].errors["password2"])
    assert not User.objects.filter(username__in=["op.x", "op.y"]).exists()
    assert not AuditEvent.objects.filter(action="user.create").exists()


def test_changing_role_and_areas_is_audited_with_before_and_after(
    admin_client: Client, operator_manggar: User, regions: dict[str, Region]
) -> None:
    response = admin_client.post(
        f"/accounts/users/{operator_manggar.pk}/",
        {"role": "dinsos_manager", "areas": [regions[MANGGAR].pk, regions[DAMAI].pk], "organisation": "Dinsos"},
    )
    assert response.status_code == 302
    operator_manggar.refresh_from_db()
    assert operator_manggar.role == Role.DINSOS_MANAGER
    event = AuditEvent.objects.get(action="user.update")
    assert event.before == {"role": "operator", "areas": [MANGGAR], "organisation": ""}
    assert event.after == {"role": "dinsos_manager", "areas": sorted([MANGGAR, DAMAI]), "organisation": "Dinsos"}


def test_saving_an_unchanged_account_writes_no_event(admin_client: Client, operator_manggar: User) -> None:
    areas = [a.pk for a in operator_manggar.areas.all()]
    admin_client.post(f"/accounts/users/{operator_manggar.pk}/", {"role": "operator", "areas": areas})
    assert not AuditEvent.objects.filter(action="user.update").exists()


def test_demoting_an_administrator_removes_superuser_status(admin_user: User, make_user: Callable[..., User]) -> None:
    other = make_user("admin2", Role.ADMIN, [], is_staff=True, is_superuser=True)
    services.update_user(actor=admin_user, user=other, role=Role.OPERATOR, areas=[])
    other.refresh_from_db()
    assert (other.role, other.is_superuser, other.is_staff, other.is_city_wide) == (Role.OPERATOR, False, False, False)
    event = AuditEvent.objects.get(action="user.update")
    assert event.before == {"role": "admin", "is_staff": True, "is_superuser": True}
    assert event.after == {"role": "operator", "is_staff": False, "is_superuser": False}


def test_deactivating_an_account_ends_its_sessions_and_is_audited(
    admin_client: Client, client_for: Callable[[User], Client], operator_manggar: User
) -> None:
    session = client_for(operator_manggar)
    assert session.get("/registry/").status_code == 200
    response = admin_client.post(f"/accounts/users/{operator_manggar.pk}/active/", {"active": "0"})
    assert response.status_code == 302
    operator_manggar.refresh_from_db()
    assert not operator_manggar.is_active
    assert session.get("/registry/").status_code == 302  # back to the login page
    event = AuditEvent.objects.get(action="user.deactivate")
    assert (event.before, event.after) == ({"is_active": True}, {"is_active": False})
    admin_client.post(f"/accounts/users/{operator_manggar.pk}/active/", {"active": "1"})
    assert AuditEvent.objects.filter(action="user.activate").count() == 1


def test_a_new_password_is_audited_without_the_password_and_ends_old_sessions(
    admin_client: Client, client_for: Callable[[User], Client], operator_manggar: User
) -> None:
    session = client_for(operator_manggar)
    assert session.get("/registry/").status_code == 200
    response = admin_client.post(
        f"/accounts/users/{operator_manggar.pk}/password/", {"password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    operator_manggar.refresh_from_db()
    assert operator_manggar.check_password(PASSWORD)
    assert session.get("/registry/").status_code == 302
    event = AuditEvent.objects.get(action="user.reset_password")
    assert event.object_id == str(operator_manggar.pk)
    assert PASSWORD not in f"{event.before}{event.after}{event.note}{event.object_repr}"
    weak = admin_client.post(f"/accounts/users/{operator_manggar.pk}/password/", {"password1": "x", "password2": "x"})
    assert weak.status_code == 200 and weak.context["form"].errors["password1"]


def test_an_administrator_cannot_demote_or_deactivate_themselves(admin_user: User) -> None:
    with pytest.raises(Refused, match="your own role"):
        services.update_user(actor=admin_user, user=admin_user, role=Role.OPERATOR, areas=[])
    with pytest.raises(Refused, match="your own account"):
        services.set_active(actor=admin_user, user=admin_user, active=False)
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN and admin_user.is_active


@pytest.mark.parametrize(
    "step",
    [
        lambda actor, user: services.create_user(
            actor=actor, username="x.y", password=PASSWORD, role="operator", areas=[]
        ),
        lambda actor, user: services.update_user(actor=actor, user=user, role="admin", areas=[]),
        lambda actor, user: services.set_active(actor=actor, user=user, active=False),
        lambda actor, user: services.reset_password(actor=actor, user=user, password=PASSWORD),
    ],
)
def test_only_an_administrator_may_change_accounts(step: Any, dinsos_manager: User, operator_manggar: User) -> None:
    with pytest.raises(Refused) as caught:
        step(dinsos_manager, operator_manggar)
    assert caught.value.code == "forbidden"
    assert not AuditEvent.objects.filter(action__startswith="user.").exists()


def test_the_pages_list_accounts_and_show_their_forms(admin_client: Client, operator_manggar: User) -> None:
    listing = admin_client.get("/accounts/users/").content.decode()
    assert "op.manggar" in listing and "Kelurahan operator" in listing and "Manggar" in listing
    page = admin_client.get(f"/accounts/users/{operator_manggar.pk}/").content.decode()
    assert "Deactivate the account" in page and "Give a new password" in page
    assert admin_client.get("/accounts/users/999999/").status_code == 404
    assert 'href="/accounts/users/"' in admin_client.get("/").content.decode()  # in the navigation


def test_an_officers_opd_is_set_on_the_account_page_and_audited(
    admin_client: Client, operator_manggar: User, regions: dict[str, Region]
) -> None:
    from entas.accounts.models import Opd

    disnaker = Opd.objects.create(code="DISNAKER", name="Dinas Tenaga Kerja")
    url = f"/accounts/users/{operator_manggar.pk}/"
    assert "OPD" in admin_client.get(url).content.decode()
    data = {"role": "training_officer", "areas": [regions[MANGGAR].pk], "opd": disnaker.pk}
    assert admin_client.post(url, data).status_code == 302
    operator_manggar.refresh_from_db()
    assert operator_manggar.opd == disnaker
    event = AuditEvent.objects.get(action="user.update")
    assert (event.before["opd"], event.after["opd"]) == ("", "DISNAKER")
    admin_client.post(url, {**data, "opd": ""})
    operator_manggar.refresh_from_db()
    assert operator_manggar.opd is None
