"""Checks API responses against the OpenAPI schema drf-spectacular generates, so the
schema clients read is the one the API keeps (Zulip's validate_test_response idea)."""

import re
from functools import lru_cache

import jsonschema
from drf_spectacular.generators import SchemaGenerator


@lru_cache(maxsize=1)
def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _path_template(schema: dict, path: str) -> str:
    path = path.split("?")[0]
    # Literal paths before templated ones: /assignments/next/ is not /assignments/{id}/.
    for template in sorted(schema["paths"], key=lambda t: t.count("{")):
        if re.fullmatch(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)), path):
            return template
    raise AssertionError(f"{path} is not in the OpenAPI schema")


def _as_json_schema(node):
    """OpenAPI 3.0 says `nullable: true`; JSON Schema says the type may be null."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _as_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


def assert_matches_schema(response, method: str = "get") -> None:
    schema = _schema()
    template = _path_template(schema, response.request["PATH_INFO"])
    operation = schema["paths"][template][method.lower()]
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, f"{method.upper()} {template} does not document status {response.status_code}"
    body_schema = documented.get("content", {}).get("application/json", {}).get("schema")
    if body_schema is None:
        return
    jsonschema.validate(
        instance=response.json(),
        schema=_as_json_schema({**body_schema, "components": schema["components"]}),
        cls=jsonschema.Draft202012Validator,
    )
