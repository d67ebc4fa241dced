"""A small validator of JSON values against the DCI OpenAPI schemas (../shared/standards/dci/): the
keywords those schemas use (``$ref`` with JSON pointers, ``allOf``, ``oneOf``, ``type``, ``enum``,
``required``, ``properties``, ``items``, ``maxLength``), enough to hold our answers to the letter of
the specification. (No JSON Schema library is installed; this one is tested by the answers it refuses.)"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

SPECS = Path(__file__).resolve().parents[3] / "shared" / "standards" / "dci"
TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


@cache
def spec(name: str) -> dict[str, Any]:
    return yaml.safe_load((SPECS / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def resolve(root: dict[str, Any], ref: str) -> Any:
    node: Any = root
    for part in ref.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def errors(schema: Any, value: Any, root: dict[str, Any], path: str = "$") -> list[str]:
    if not isinstance(schema, dict):
        return []
    if "$ref" in schema:
        return errors(resolve(root, schema["$ref"]), value, root, path)
    found: list[str] = []
    for sub in schema.get("allOf", []):
        found += errors(sub, value, root, path)
    if "oneOf" in schema:
        matching = [s for s in schema["oneOf"] if not errors(s, value, root, path)]
        if len(matching) != 1:
            found.append(f"{path}: matches {len(matching)} of its oneOf schemas")
    kind = schema.get("type")
    if kind in TYPES and not TYPES[kind](value):
        return [*found, f"{path}: {value!r} is not of type {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, str) and "maxLength" in schema and len(value) > schema["maxLength"]:
        found.append(f"{path}: longer than {schema['maxLength']}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                found.append(f"{path}: {key} is required")
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                found += errors(sub, value[key], root, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += errors(schema["items"], item, root, f"{path}[{i}]")
    return found


def response_schema(spec_name: str, path: str, status: str = "default") -> tuple[Any, dict[str, Any]]:
    root = spec(spec_name)
    response = root["paths"][path]["post" if path != "/.well-known/jwks.json" else "get"]["responses"][status]
    if "$ref" in response:
        response = resolve(root, response["$ref"])
    return response["content"]["application/json"]["schema"], root


def request_schema(spec_name: str, path: str) -> tuple[Any, dict[str, Any]]:
    root = spec(spec_name)
    return root["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"], root


def check_response(spec_name: str, path: str, status: str, value: Any) -> None:
    schema, root = response_schema(spec_name, path, status)
    problems = errors(schema, value, root)
    assert not problems, "\n".join(problems)
