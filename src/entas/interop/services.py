"""Every write of the interoperability module that a person makes (pages, commands): registering a
caller system, rotating our signing keys, recording an exchange. Each is audited. (What a caller
system's messages write is in :mod:`.dci`.)"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext as _

from entas.accounts.models import User
from entas.accounts.roles import Capability
from entas.core import audit
from entas.core.errors import Problem, Refused
from entas.core.services import service

from . import keys
from .models import CallerSystem, Exchange, SigningKey


def _may_manage(actor: User) -> None:
    if not actor.can(Capability.MANAGE_SETTINGS):
        raise Refused(_("Only an administrator registers systems and keys."), code="forbidden")


@service
def rotate_keys(*, actor: User | None) -> SigningKey:
    """Make a new signing key and retire the active one (still published, so that what it signed
    can be checked). ``actor`` None: the installation itself (``entas dci keys --rotate`` as the system)."""
    if actor is not None:
        _may_manage(actor)
    retired = list(SigningKey.objects.select_for_update().filter(status=SigningKey.Status.ACTIVE))
    for old in retired:
        keys.retire(old)
    if any(old.use == SigningKey.Use.ENCRYPTION for old in retired):  # retired ones still decrypt
        keys.create_key(SigningKey.Use.ENCRYPTION)
    new = keys.create_key()
    audit.record(
        actor=actor, action="interop.rotate_keys", obj=new, after={"kid": new.kid, "retired": [k.kid for k in retired]}
    )
    return new


@service
def register_caller(
    *,
    actor: User,
    sender_id: str,
    name: str,
    service_user: User,
    jwks_url: str = "",
    jwks: dict[str, Any] | None = None,
    callback_url: str = "",
    require_signature: bool = True,
) -> tuple[CallerSystem, str]:
    """Register a system that may query the registry over DCI; returns it and its client secret,
    shown this once (only its hash is kept)."""
    _may_manage(actor)
    problems = []
    if not sender_id.strip():
        problems.append(Problem("sender_id", _("The DCI sender id is required.")))
    elif CallerSystem.objects.filter(sender_id=sender_id.strip()).exists():
        problems.append(Problem("sender_id", _("A system with this sender id is already registered.")))
    if not jwks_url and not (jwks or {}).get("keys"):
        problems.append(Problem("jwks_url", _("Give the system's JWKS URL or its public keys.")))
    if jwks is not None and not isinstance(jwks.get("keys", []), list):
        problems.append(Problem("jwks", _('The public keys must be a JWKS: {"keys": [...]}.')))
    if not service_user.can(Capability.VIEW_REGISTRY):
        problems.append(Problem("service_user", _("The service user must be allowed to see the registry.")))
    if problems:
        raise Refused(_("The system cannot be registered."), code="invalid", issues=problems)
    secret = secrets.token_urlsafe(32)
    caller = CallerSystem.objects.create(
        sender_id=sender_id.strip(),
        name=name.strip() or sender_id.strip(),
        service_user=service_user,
        client_id=secrets.token_hex(8),
        client_secret_hash=make_password(secret),
        jwks_url=jwks_url,
        jwks=jwks or {},
        callback_url=callback_url,
        require_signature=require_signature,
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="interop.register_caller",
        obj=caller,
        after={"sender_id": caller.sender_id, "service_user": service_user.username, "client_id": caller.client_id},
    )
    return caller, secret


@service
def set_caller_active(*, actor: User, caller: CallerSystem, active: bool) -> CallerSystem:
    """Suspend or resume a caller system (a suspended one gets 403 on every call)."""
    _may_manage(actor)
    before = caller.active
    caller.active = active
    caller.save(update_fields=["active"])
    audit.record(
        actor=actor, action="interop.caller_active", obj=caller, before={"active": before}, after={"active": active}
    )
    return caller


@service
def record_comparison_view(*, actor: User, exchange: Exchange, shown: int) -> None:
    """A comparison names families (KK numbers): its reading is audited like a household page's."""
    audit.record(actor=actor, action="interop.comparison_view", obj=exchange, after={"differences": shown})
