"""`-o yaml`, `-o json` and `-o name`, byte for byte as kubectl prints them.

kubectl decodes what the server sends into unstructured maps, so both JSON and YAML come out
with map keys sorted (Go's encoding/json sorts map keys; sigs.k8s.io/yaml converts JSON to
YAML through go-yaml v2, which sorts too). JSON: `json.MarshalIndent` with 4 spaces, `<`, `>`
and `&` escaped as `\\u003c`, `\\u003e`, `\\u0026`. YAML (go-yaml v2): 2-space indent, list
items not indented under their key, strings that would read as another type (`"1"`,
`"true"`, `""`, timestamps) in double quotes, strings that cannot be plain in single quotes,
multi-line strings as literal blocks (`|`, `|-`), long lines folded at 80 columns. Several
objects print as one `v1` `List` with `metadata.resourceVersion: ""`. `-o name` prints
`pod/web-1`, `deployment.apps/web`.

Objects kubectl builds itself (`create deployment --dry-run=client`) keep their Go struct
field order in JSON; callers pass `sort_keys=False` for those.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from .jsonpath import go_json


class _GoYamlDumper(yaml.SafeDumper):
    """PyYAML's emitter (also derived from libyaml) with go-yaml v2's scalar style choices."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # JSON has no anchors: a shared dict prints in full each time


_RESOLVER = yaml.resolver.Resolver()
# go-yaml v2 also reads y/Y/n/N as booleans (YAML 1.1); PyYAML's resolver does not.


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
    if tag != "tag:yaml.org,2002:str" or value in ("", "y", "Y", "n", "N"):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _none(dumper: yaml.SafeDumper, _value: None) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:null", "null")


_GoYamlDumper.add_representer(str, _str)
_GoYamlDumper.add_representer(type(None), _none)


def to_yaml(obj: Any) -> str:
    return yaml.dump(
        obj,
        Dumper=_GoYamlDumper,
        default_flow_style=False,
        sort_keys=True,
        allow_unicode=True,
        width=80,
    )


def to_json(obj: Any, sort_keys: bool = True) -> str:
    if sort_keys:
        return go_json(obj, indent=4) + "\n"
    text = json.dumps(obj, ensure_ascii=False, indent=4)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


def as_list(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """How kubectl wraps several objects for `-o yaml|json|jsonpath`."""
    return {"apiVersion": "v1", "items": objects, "kind": "List", "metadata": {"resourceVersion": ""}}


def name_of(obj: dict[str, Any], display_kind: str) -> str:
    return f"{display_kind}/{(obj.get('metadata') or {}).get('name', '')}"
