"""Every change to a user account: who may act, what they may do and where is the registry's first
line of protection, so each change is one audited service (who changed whose role, areas or status,
and when, with the values before and after). The pages at /accounts/users/ call these; the Django
admin only shows accounts (entas.core.admin).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.auth import password_validation
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from entas.core import audit
from entas.core.audit import diff
from entas.core.errors import Problem, Refused
from entas.core.services import service

from .models import User
from .roles import Capability, Role

if TYPE_CHECKING:
    from entas.regions.models import Region

    from .models import Opd


def snapshot(user: User) -> dict[str, Any]:
    """The account's audited state: what it may do, where, and whether it can log in (never the password)."""
    return {
        "role": user.role,
        "areas": sorted(user.areas.values_list("code", flat=True)) if user.pk else [],
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "organisation": user.organisation,
        "opd": user.opd.code if user.opd_id is not None and user.opd is not None else "",
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
    }


def _require_manager(actor: User) -> None:
    if not actor.can(Capability.MANAGE_USERS):
        raise Refused(_("You may not manage user accounts."), code="forbidden")


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise Refused(_("Unknown role %(role)r.") % {"role": role}, code="invalid", issues=[Problem("role", "")])


def _check_password(password: str, user: User, field: str) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        messages = [str(m) for m in exc.messages]
        raise Refused(" ".join(messages), code="invalid", issues=[Problem(field, m) for m in messages]) from None


def _apply_role(user: User, role: str, *, changed: bool) -> None:
    """Administrators may open the (read-only) Django admin; a user whose role changes away from
    administrator loses superuser status too, or the new role would not limit them at all."""
    user.role = role
    if role == Role.ADMIN:
        user.is_staff = True
    elif changed:
        user.is_staff = user.is_superuser = False


@service
def create_user(
    *,
    actor: User,
    username: str,
    password: str,
    role: str,
    areas: Iterable[Region],
    organisation: str = "",
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    opd: Opd | None = None,
) -> User:
    """Open an account with its role, its areas and a first password (and the OPD an officer enters
    budget realisation for: entas.policy)."""
    _require_manager(actor)
    _check_role(role)
    username = username.strip()
    try:
        User.username_validator(username)
    except ValidationError as exc:
        issues = [Problem("username", m) for m in exc.messages]
        raise Refused(" ".join(exc.messages), code="invalid", issues=issues) from None
    if not username or User.objects.filter(username__iexact=username).exists():
        message = _("The user name %(name)r is taken.") % {"name": username}
        raise Refused(message, code="conflict", issues=[Problem("username", message)])
    user = User(username=username, organisation=organisation, first_name=first_name, last_name=last_name, email=email)
    user.opd = opd
    _apply_role(user, role, changed=True)
    _check_password(password, user, "password1")
    user.set_password(password)
    user.save()
    user.areas.set(list(areas))
    audit.record(actor=actor, action="user.create", obj=user, after=snapshot(user))
    return user


@service
def update_user(
    *,
    actor: User,
    user: User,
    role: str,
    areas: Iterable[Region],
    organisation: str = "",
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    opd: Opd | None = None,
) -> User:
    """Change an account's role, areas, OPD and details. An administrator cannot change their own role (a
    second administrator does: nobody locks the city out of its own user management by mistake)."""
    _require_manager(actor)
    _check_role(role)
    user = User.objects.select_for_update().get(pk=user.pk)
    before = snapshot(user)
    if user.pk == actor.pk and role != user.role:
        raise Refused(_("You cannot change your own role; ask another administrator."), code="forbidden")
    _apply_role(user, role, changed=role != user.role)
    user.organisation, user.first_name, user.last_name, user.email = organisation, first_name, last_name, email
    user.opd = opd
    user.save()
    user.areas.set(list(areas))
    b, a = diff(before, snapshot(user))
    if b or a:
        audit.record(actor=actor, action="user.update", obj=user, before=b, after=a)
    return user


@service
def set_active(*, actor: User, user: User, active: bool) -> User:
    """Let an account log in again, or stop it (its open sessions end at their next request)."""
    _require_manager(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == actor.pk and not active:
        raise Refused(_("You cannot deactivate your own account; ask another administrator."), code="forbidden")
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record(
        actor=actor,
        action="user.activate" if active else "user.deactivate",
        obj=user,
        before={"is_active": not active},
        after={"is_active": active},
    )
    return user


@service
def reset_password(*, actor: User, user: User, password: str) -> User:
    """Give an account a new password (the user's open sessions end: Django ties them to the password)."""
    _require_manager(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    _check_password(password, user, "password1")
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(actor=actor, action="user.reset_password", obj=user)
    return user


@service
def change_password(*, actor: User, new_password: str) -> None:
    """A user sets their own new password (the page checked the old one first).

    The validators of AUTH_PASSWORD_VALIDATORS apply whoever calls; the audit event names the user
    and never holds a password. Every other session of the account ends with the change (Django
    checks a session against the password hash it was opened with); the caller keeps its own with
    ``update_session_auth_hash``.
    """
    try:
        password_validation.validate_password(new_password, actor)
    except ValidationError as exc:
        raise Refused(
            _("The new password is not accepted."),
            code="invalid",
            issues=[Problem("new_password1", message) for message in exc.messages],
        ) from exc
    actor.set_password(new_password)
    actor.save(update_fields=["password"])
    audit.record(actor=actor, action="user.password_change", obj=actor)
