"""The scopes of API tokens. Pure data and rules: no database.

A scope is ``FAMILY:read`` or ``FAMILY:write``; ``write`` includes ``read``. Each part of the API
(a path prefix, registered by :mod:`entas.api.api` with :func:`register`) belongs to one family. A
token's scopes only narrow what its user may do: the user's role and areas still decide every call.
A path that belongs to no family is refused to every token (deny by default).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

# The families, in the order the token page lists them.
FAMILIES: dict[str, object] = {
    "registry": _("Households, members, change requests and payee accounts"),
    "dedup": _("The duplicate review queue"),
    "targeting": _("Eligibility rules and their previews (aggregates), PMT models, the musyawarah's overrides"),
    "programmes": _("Cash programmes, cycles and payments"),
    "indicators": _("Poverty indicators, surveys and estimates (monitoring)"),
    "policy": _("The policy register: plans, programmes, budgets and benefits"),
    "training": _("Training cohorts and their outcomes"),
    "enterprise": _("Micro-enterprises and their groups"),
    "outreach": _("Awareness campaigns and their results"),
    "evaluation": _("Impact evaluations"),
    "participation": _("Musyawarah, Musrenbang proposals, partners and their contributions"),
    "portal": _("Citizens' complaints, proposals and objections (case handling)"),
    "reports": _("Official reports (LP2KD, RPKD, extreme poverty, programmes): versions, files, generation"),
    "regions": _("Regions and boundaries"),
    "jobs": _("Progress of background jobs"),
}
LEVELS = ("read", "write")
ALL: tuple[str, ...] = tuple(f"{family}:{level}" for family in FAMILIES for level in LEVELS)

# Families whose reads return personal data: every token read of them is audited like a page view.
PERSONAL = frozenset({"registry", "dedup", "programmes", "training", "enterprise", "outreach"})

API_ROOT = "/api"
_PREFIXES: dict[str, str] = {}


def register(prefix: str, family: str) -> None:
    """Say that the API's paths under ``prefix`` (``/v1/households``) belong to ``family``."""
    if family not in FAMILIES:
        raise ValueError(f"Unknown scope family {family!r}")
    _PREFIXES[API_ROOT + prefix.rstrip("/")] = family


def registered() -> dict[str, str]:
    return dict(_PREFIXES)


def family_of(path: str) -> str | None:
    """The family of a request path (the longest registered prefix it starts with), or None."""
    best = ""
    for prefix in _PREFIXES:
        if (path == prefix or path.startswith(prefix + "/")) and len(prefix) > len(best):
            best = prefix
    return _PREFIXES.get(best) if best else None


def parse(text: str | Iterable[str]) -> list[str]:
    """``"registry:read, programmes"`` → ``["programmes:write", "registry:read"]``: a bare family
    means its write scope (which includes read); ``*`` every scope. Raises ValueError naming the
    unknown scopes."""
    items = [s.strip() for s in (text.split(",") if isinstance(text, str) else text) if s and s.strip()]
    scopes: set[str] = set()
    unknown = []
    for item in items:
        if item == "*":
            scopes.update(f"{f}:write" for f in FAMILIES)
        elif item in FAMILIES:
            scopes.add(f"{item}:write")
        elif item in ALL:
            scopes.add(item)
        else:
            unknown.append(item)
    if unknown:
        raise ValueError(", ".join(unknown))
    # write includes read: keep only the wider of the two
    return sorted(s for s in scopes if not (s.endswith(":read") and s.replace(":read", ":write") in scopes))


def allows(granted: Iterable[str], family: str, *, write: bool) -> bool:
    """Whether ``granted`` scopes let a token read (or, with ``write``, change) ``family``."""
    granted = set(granted)
    return f"{family}:write" in granted or (not write and f"{family}:read" in granted)


def needed(family: str, *, write: bool) -> str:
    return f"{family}:{'write' if write else 'read'}"
