"""The Django admin: a read-only window, never a way around the services.

The probe of issue #15 edited a household's address, set a member's NIK to 12345 and promoted a user
to administrator in the admin: no audit event, no validation, no version bump; and deleted job rows.
These tests replay each write (with the form the admin itself renders, so they would succeed on an
editable admin) and check every registered model, ours and third-party, for add, change and delete.
"""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.admin.sites import site
from django.test import Client, RequestFactory

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.core.models import AuditEvent, Job
from entas.registry.models import Household

pytestmark = pytest.mark.django_db


class _AdminForm(HTMLParser):
    """The fields of an admin page's POST form, as a browser would submit them unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {}
        self._select: str | None = None
        self._multiple = False
        self._textarea: str | None = None
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._in_form = True
        if not self._in_form:
            return
        if tag == "option" and self._select is not None:
            if "selected" in a:
                if self._multiple:
                    self.data.setdefault(self._select, []).append(a.get("value", ""))
                else:
                    self.data[self._select] = a.get("value", "")
            return
        name = a.get("name")
        if not name:
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in {"submit", "button", "file", "image"} or (kind in {"checkbox", "radio"} and "checked" not in a):
                return
            self.data[name] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select":
            self._select, self._multiple = name, "multiple" in a
            if not self._multiple:
                self.data.setdefault(name, "")  # roughly: a browser sends the first option
        elif tag == "textarea":
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] += data


def _admin_form(client: Client, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200
    parser = _AdminForm()
    parser.feed(response.content.decode())
    return parser.data


@pytest.fixture
def admin_client(client_for: Callable[[User], Client], admin_user: User) -> Client:
    client = client_for(admin_user)
    client.cookies["django_language"] = "en"
    return client


def test_every_model_in_the_admin_is_read_only(admin_user: User) -> None:
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    for model, model_admin in site._registry.items():
        name = model._meta.label
        assert not model_admin.has_add_permission(request), name
        assert not model_admin.has_change_permission(request), name
        assert not model_admin.has_delete_permission(request), name
        assert "delete_selected" not in model_admin.get_actions(request), name
        for inline in model_admin.get_inline_instances(request):
            assert not inline.has_add_permission(request, None), name
            assert not inline.has_change_permission(request), name
            assert not inline.has_delete_permission(request), name


def test_groups_are_not_administered_because_entas_grants_by_role() -> None:
    from django.contrib.auth.models import Group

    assert Group not in site._registry


def test_changing_a_households_address_in_the_admin_is_refused_and_changes_nothing(
    admin_client: Client, manggar_household: Household
) -> None:
    url = f"/admin/registry/household/{manggar_household.pk}/change/"
    data = _admin_form(admin_client, url) | {"address": "Jl. Diubah Lewat Admin"}
    response = admin_client.post(url, data)
    assert response.status_code == 403
    manggar_household.refresh_from_db()
    assert (manggar_household.address, manggar_household.version) == ("Jl. Contoh", 1)


def test_setting_a_members_nik_to_12345_in_the_admin_is_refused(
    admin_client: Client, manggar_household: Household
) -> None:
    url = f"/admin/registry/household/{manggar_household.pk}/change/"
    member = manggar_household.members.order_by("pk").first()
    assert member is not None
    data = _admin_form(admin_client, url)
    nik_fields = [k for k, v in data.items() if k.endswith("-nik") and v == member.nik]
    response = admin_client.post(url, data | dict.fromkeys(nik_fields or ["members-0-nik"], "12345"))
    assert response.status_code == 403
    member.refresh_from_db()
    assert len(member.nik) == 16


def test_opening_a_household_in_the_admin_is_audited_and_shows_niks_masked(
    admin_client: Client, admin_user: User, manggar_household: Household
) -> None:
    page = admin_client.get(f"/admin/registry/household/{manggar_household.pk}/change/").content.decode()
    member = manggar_household.members.order_by("pk").first()
    assert member is not None
    assert member.nik not in page and member.masked_nik in page
    event = AuditEvent.objects.get(action="household.view")
    assert event.actor == admin_user and event.object_id == str(manggar_household.pk)


def test_promoting_a_user_to_administrator_in_the_admin_is_refused(
    admin_client: Client, operator_manggar: User
) -> None:
    url = f"/admin/accounts/user/{operator_manggar.pk}/change/"
    data = _admin_form(admin_client, url) | {"role": "admin", "is_superuser": "on", "is_staff": "on"}
    assert admin_client.post(url, data).status_code == 403
    password = admin_client.post(
        f"/admin/accounts/user/{operator_manggar.pk}/password/",
        {"password1": "another-horse-battery", "password2": "another-horse-battery"},
    )
    assert password.status_code == 403
    operator_manggar.refresh_from_db()
    assert (operator_manggar.role, operator_manggar.is_superuser, operator_manggar.is_staff) == (
        Role.OPERATOR,
        False,
        False,
    )
    assert operator_manggar.check_password("correct-horse-battery")
    assert admin_client.post("/admin/accounts/user/add/", {"username": "x"}).status_code == 403


def test_a_job_row_cannot_be_deleted_in_the_admin(admin_client: Client, admin_user: User) -> None:
    job = Job.objects.create(kind="registry.export", created_by=admin_user)
    one = admin_client.post(f"/admin/core/job/{job.pk}/delete/", {"post": "yes"})
    bulk = admin_client.post(
        "/admin/core/job/", {"action": "delete_selected", "_selected_action": [job.pk], "post": "yes"}
    )
    assert one.status_code == 403
    assert bulk.status_code in {200, 302, 403}  # no such action: Django answers "no action selected"
    assert Job.objects.filter(pk=job.pk).exists()


def test_the_login_lockout_records_cannot_be_deleted_in_the_admin(admin_client: Client) -> None:
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.create(username="op.manggar", ip_address="10.0.0.9", failures_since_start=5)
    response = admin_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_promoting_a_user_on_the_users_page_is_audited_with_before_and_after(
    admin_client: Client, admin_user: User, operator_manggar: User
) -> None:
    response = admin_client.post(
        f"/accounts/users/{operator_manggar.pk}/",
        {"role": "admin", "areas": [a.pk for a in operator_manggar.areas.all()]},
    )
    assert response.status_code == 302
    operator_manggar.refresh_from_db()
    assert operator_manggar.role == Role.ADMIN
    event = AuditEvent.objects.get(action="user.update", object_id=str(operator_manggar.pk))
    assert event.actor == admin_user
    assert event.before == {"role": "operator", "is_staff": False}
    assert event.after == {"role": "admin", "is_staff": True}


def test_only_administrators_reach_user_administration(
    client_for: Callable[[User], Client], dinsos_manager: User, operator_manggar: User
) -> None:
    client = client_for(dinsos_manager)
    assert client.get("/accounts/users/").status_code == 403
    assert client.post(f"/accounts/users/{operator_manggar.pk}/", {"role": "admin"}).status_code == 403
    assert client.post(f"/accounts/users/{operator_manggar.pk}/active/", {"active": "0"}).status_code == 403
    operator_manggar.refresh_from_db()
    assert operator_manggar.role == Role.OPERATOR and operator_manggar.is_active
