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


def test_the_schema_has_one_key_per_status() -> None:
    """Ninja documents statuses under int keys; the error responses added under str keys once
    produced "409" twice in the JSON, and Swagger UI refused the whole schema."""
    import json

    from entas.api.api import api

    for path, operations in api.get_openapi_schema()["paths"].items():
        for method, operation in operations.items():
            keys = [str(k) for k in operation["responses"]]
            assert len(keys) == len(set(keys)), (path, method, keys)
    json.loads(json.dumps(api.get_openapi_schema()), object_pairs_hook=_no_duplicates)


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [k for k, _v in pairs]
    assert len(keys) == len(set(keys)), keys
    return dict(pairs)
