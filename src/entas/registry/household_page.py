"""What other modules show on a household's page.

The registry knows nothing of the modules built on it (programmes, deduplication, training…), yet a
household's page is where an operator looks for everything about a family. So a module *contributes*
to the page: it registers a function (in its ``AppConfig.ready``) that, given the user, the household
and its members, returns the context of a section the module renders with its own template, and may
attach links to members (a "possible duplicate" badge). The registry's view asks every contributor;
dependencies point upwards only.

    @contribute("programs.benefits", order=20, template="programs/_household_benefits.html")
    def benefits(user, household, members):
        return {"benefits": selectors.benefit_history(user, household)}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from entas.accounts.models import User

    from .models import Household, Member

Context = Callable[["User", "Household", "list[Member]"], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Contribution:
    """One module's part of the household page. ``context`` returns the section's context, or None to
    show nothing (for a user who may not see it); a ``member_links`` entry of that context, a dict of
    member id → [(url, label)], is shown beside the members' names."""

    name: str
    order: int
    template: str | None
    context: Context


@dataclass
class Section:
    template: str | None
    context: dict[str, Any] = field(default_factory=dict)


_CONTRIBUTIONS: dict[str, Contribution] = {}


def contribute(name: str, *, order: int, template: str | None = None) -> Callable[[Context], Context]:
    """Register ``function`` as the contribution ``name`` (re-registering the same name replaces it)."""

    def register(function: Context) -> Context:
        _CONTRIBUTIONS[name] = Contribution(name, order, template, function)
        return function

    return register


def sections(user: User, household: Household, members: list[Member]) -> list[Section]:
    """Every contribution's section for this user, in order; member links are attached to the members
    (``member.links``)."""
    out = []
    links: dict[int, list[tuple[str, str]]] = {}
    for contribution in sorted(_CONTRIBUTIONS.values(), key=lambda c: (c.order, c.name)):
        context = contribution.context(user, household, members)
        if context is None:
            continue
        for member_id, items in context.pop("member_links", {}).items():
            links.setdefault(member_id, []).extend(items)
        if contribution.template:
            out.append(Section(contribution.template, context))
    for member in members:
        member.links = links.get(member.pk, [])  # type: ignore[attr-defined]
    return out
