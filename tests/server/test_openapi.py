"""Every route says in /openapi.json what it returns: a typed schema for each 2xx JSON
response (no bare object, no empty schema), a binary schema for files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from server.app import create_app
from tests.support.live_server import make_settings

BINARY = {"type": "string", "format": "binary"}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root: Path = tmp_path_factory.mktemp("openapi") / "datasets"
    return create_app(make_settings(root)).openapi()


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = spec["components"]["schemas"][name]
    return schema


def _untyped(spec: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    """Where this schema says nothing: empty, or an object with neither properties nor
    typed values. Walks array items, unions and object properties."""
    schema = _resolve(spec, schema)
    if not schema:
        return [f"{where}: empty schema"]
    problems: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for i, option in enumerate(schema.get(key, [])):
            problems += _untyped(spec, option, f"{where}.{key}[{i}]")
    if schema.get("type") == "array":
        problems += _untyped(spec, schema.get("items", {}), f"{where}[]")
    if schema.get("type") == "object":
        extra = schema.get("additionalProperties")
        if not schema.get("properties") and not isinstance(extra, dict):
            problems.append(f"{where}: object without properties")
        if isinstance(extra, dict) and not extra:
            problems.append(f"{where}: object of untyped values")
    return problems


def test_the_walk_flags_what_says_nothing() -> None:
    spec = {"components": {"schemas": {"Open": {"type": "object"}}}}
    assert _untyped(spec, {}, "r")
    assert _untyped(spec, {"$ref": "#/components/schemas/Open"}, "r")
    assert _untyped(spec, {"type": "array", "items": {"type": "object"}}, "r")
    assert _untyped(spec, {"type": "object", "additionalProperties": {}}, "r")
    assert not _untyped(spec, {"type": "object", "additionalProperties": {"type": "integer"}}, "r")


def test_every_route_has_a_typed_2xx_response(spec: dict[str, Any]) -> None:
    problems: list[str] = []
    operations = 0
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            operations += 1
            where = f"{method.upper()} {path}"
            successes = {c: r for c, r in operation["responses"].items() if c.startswith("2")}
            if not successes:
                problems.append(f"{where}: no 2xx response")
            for code, response in successes.items():
                content = response.get("content")
                if code == "204":
                    continue
                if not content:
                    problems.append(f"{where} {code}: no content schema")
                    continue
                for media_type, body in content.items():
                    schema = body.get("schema", {})
                    if media_type == "application/json":
                        problems += _untyped(spec, schema, f"{where} {code}")
                    elif schema != BINARY:
                        problems.append(f"{where} {code} {media_type}: not a binary schema")
    assert operations >= 30, f"only {operations} operations in /openapi.json"
    assert not problems, "\n".join(problems)


def _says_nothing(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    schema = _resolve(spec, schema)
    meaningful = {k: v for k, v in schema.items() if k not in ("title", "description", "default")}
    if not meaningful:
        return True
    if any(_says_nothing(spec, o) for k in ("anyOf", "oneOf") for o in schema.get(k, [])):
        return True
    if schema.get("type") == "array":
        return _says_nothing(spec, schema.get("items", {}))
    extra = schema.get("additionalProperties", True)
    if schema.get("type") == "object" and not schema.get("properties"):
        return extra is True or extra == {} or _says_nothing(spec, extra)
    return False


def _refs(node: object) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].removeprefix("#/components/schemas/")} if "$ref" in node else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def _response_schemas(spec: dict[str, Any]) -> set[str]:
    """Names of the component schemas a 2xx response uses, directly or inside another."""
    todo = _refs(
        [
            response
            for methods in spec["paths"].values()
            for operation in methods.values()
            for code, response in operation["responses"].items()
            if code.startswith("2")
        ]
    )
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        seen.add(name)
        todo |= _refs(spec["components"]["schemas"][name]) - seen
    return seen


def test_open_payloads_are_the_declared_fields_only(spec: dict[str, Any]) -> None:
    """Free-form fields (dict[str, Any]: an event's data, a device's own figures) are few
    and named here; a whole response is never one."""
    schemas = spec["components"]["schemas"]
    open_fields = [
        f"{name}.{field}"
        for name in _response_schemas(spec)
        for field, prop in (schemas[name].get("properties") or {}).items()
        if _says_nothing(spec, prop)
    ]
    assert sorted(open_fields) == [
        "EventOut.data",
        "SessionStatusOut.device_health",
        "SessionStatusOut.evaluation",
        "SessionStatusOut.recorder",
    ]
