"""Every API schema class has a name of its own. django-ninja names an OpenAPI component after the
class, so two apps' ``DecisionIn`` became one component and one of the two operations documented the
other's body (schemathesis found it twice: dedup and policy, then dedup and participation)."""

from __future__ import annotations

from collections import defaultdict

from ninja import Schema


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


def test_no_two_api_schema_classes_share_a_name() -> None:
    from entas.api import api  # noqa: F401  (mounts every app's router, so every schema class is defined)

    by_name: defaultdict[str, set[str]] = defaultdict(set)
    for cls in _subclasses(Schema):
        if cls.__module__.startswith("entas."):
            by_name[cls.__name__].add(cls.__module__)
    clashes = {name: sorted(modules) for name, modules in by_name.items() if len(modules) > 1}
    assert not clashes, f"rename one of each (they become one OpenAPI component): {clashes}"
