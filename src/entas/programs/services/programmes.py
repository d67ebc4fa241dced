"""Defining a programme: its rule, entitlement formula, budget, channel and period, in one audited
transaction (from a YAML file with ``entas program load``, or from a page)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.core import audit
from entas.core.errors import Problem, Refused
from entas.core.services import service
from entas.targeting import services as targeting

from ..models import Programme
from .enrolment import require

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.targeting.models import EligibilityRule

# Programme fields a definition sets (everything but the rule and the exclusive programmes).
FIELDS = (
    "agency",
    "funding",
    "start",
    "end",
    "channel",
    "budget_ceiling",
    "months_per_cycle",
    "tranches",
    "base_amount",
    "per_child_in_school",
    "per_elderly",
    "per_disabled",
    "cap",
    "shock_event",
    "shock_until",
)


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}


@service
def define_programme(
    *,
    name: str,
    fields: Mapping[str, Any],
    rule_name: str = "",
    rule_expression: str = "",
    rule: EligibilityRule | None = None,
    exclusive_with: Sequence[str] = (),
    programme: Programme | None = None,
    replace: bool = True,
    actor: User,
) -> tuple[Programme, bool]:
    """Create the programme called ``name``, or update it, with its eligibility rule saved as a new
    version; returns (programme, created). Refused, with every problem positioned, when a field is
    invalid, the rule does not compile or ``exclusive_with`` names an unknown programme.

    The programme page passes an existing ``rule`` (chosen, not rewritten) instead of its name and
    expression; ``programme``, the one being edited (its name may then change); and ``replace=False``
    when it creates one, so that a name already taken is refused instead of overwriting that programme."""
    require(actor, Capability.MANAGE_PROGRAMMES)
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise Refused(_("Unknown programme fields: %(f)s.") % {"f": ", ".join(unknown)}, code="invalid")
    others = list(dict.fromkeys(exclusive_with))
    candidates = Programme.objects.filter(name__in=others).exclude(name=name)
    if programme is not None:
        candidates = candidates.exclude(pk=programme.pk)
    found = list(candidates)
    missing = sorted(set(others) - {p.name for p in found})
    if missing:
        raise Refused(
            _("exclusive_with names no programme: %(names)s.") % {"names": ", ".join(missing)},
            code="invalid",
            issues=[Problem("exclusive_with", m) for m in missing],
        )
    if rule is None:
        rule = targeting.save_rule(
            actor=actor, name=rule_name, expression=rule_expression, benefit=int(fields.get("base_amount") or 0)
        )
    if programme is not None:
        existing: Programme | None = Programme.objects.select_for_update().get(pk=programme.pk)
    else:
        existing = Programme.objects.select_for_update().filter(name=name).first()
        if existing is not None and not replace:
            message = _("A programme called “%(name)s” already exists: open it to edit it.") % {"name": name}
            raise Refused(message, code="conflict", issues=[Problem("name", message)])
    if existing is not None and existing.kind != Programme.Kind.CASH:  # the policy register's other kinds
        message = _("“%(name)s” is a programme of another kind, not a cash transfer.") % {"name": name}
        raise Refused(message, code="conflict", issues=[Problem("name", message)])
    programme = existing or Programme(name=name)
    before = {f: getattr(programme, f) for f in ("name", *FIELDS)} if existing else {}
    programme.name = name
    for field, value in fields.items():
        setattr(programme, field, value)
    programme.rule = rule
    try:
        programme.full_clean()
    except ValidationError as exc:
        problems = [Problem(field, str(m)) for field, messages in exc.message_dict.items() for m in messages]
        raise Refused(problems[0].message if problems else str(exc), code="invalid", issues=problems) from exc
    programme.save()
    programme.exclusive_with.set(found)
    after = {f: getattr(programme, f) for f in ("name", *FIELDS)}
    audit.record(
        actor=actor,
        action="programme.create" if existing is None else "programme.update",
        obj=programme,
        before=_jsonable({k: v for k, v in before.items() if after.get(k) != v}) if existing else None,
        after=_jsonable(
            {
                **({k: v for k, v in after.items() if before.get(k) != v} if existing else after),
                "rule": rule.name,
                "exclusive_with": sorted(p.name for p in found),
            }
        ),
    )
    return programme, existing is None
