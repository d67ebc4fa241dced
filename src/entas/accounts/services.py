"""Writes to accounts. Each is one transaction with its audit event (entas.core.services.service)."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from entas.core import audit
from entas.core.errors import Problem, Refused
from entas.core.services import service

from .models import User


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
