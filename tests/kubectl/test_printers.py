"""Printers: tabwriter layout, YAML/JSON as kubectl prints them, JSONPath templates.

The YAML and JSON goldens were checked against the real kubectl 1.32 (see
test_against_kubectl.py, which compares the same printers with the binary on engine objects).
"""

from clusterlab.kubectl.printers import formats, jsonpath
from clusterlab.kubectl.printers.table import render_table, tabwrite
from clusterlab.kubectl.printers.tabwriter import tabwriter


def test_table_layout_is_tabwriter_6_3() -> None:
    table = {
        "columnDefinitions": [
            {"name": "Name", "format": "name", "priority": 0},
            {"name": "Age", "priority": 0},
            {"name": "IP", "priority": 1},
        ],
        "rows": [
            {"cells": ["web-1", "5m", "10.0.0.1"], "object": {"metadata": {"namespace": "default"}}},
            {"cells": ["a", "12s", None], "object": {"metadata": {"labels": {"b": "2", "a": "1"}}}},
        ],
    }
    assert tabwrite(render_table(table)) == "NAME    AGE\nweb-1   5m\na       12s\n"
    assert tabwrite(render_table(table, wide=True, show_labels=True)) == (
        "NAME    AGE   IP         LABELS\nweb-1   5m    10.0.0.1   <none>\na       12s              a=1,b=2\n"
    )
    assert tabwrite(render_table(table, with_namespace=True, kind_prefix="pod", no_headers=True)) == (
        "default   pod/web-1   5m\n          pod/a       12s\n"
    )


def test_cells_cut_at_newline_and_escaped() -> None:
    table = {
        "columnDefinitions": [{"name": "Name"}],
        "rows": [{"cells": ["two\nlines"]}, {"cells": ["bell\x07"]}],
    }
    assert tabwrite(render_table(table)) == "NAME\ntwo...\nbell^G\n"


def test_describe_tabwriter_blocks() -> None:
    text = "Name:\tweb\nLabels:\ta=b\n\tc=d\nContainers:\n  nginx:\n    Image:\tx\n    Restart Count:\t0\n"
    assert tabwriter(text, 0, 2) == (
        "Name:    web\nLabels:  a=b\n         c=d\nContainers:\n  nginx:\n    Image:          "
        "x\n    Restart Count:  0\n"
    )


def test_yaml_scalars_as_go_yaml_v2() -> None:
    obj = {
        "metadata": {
            "annotations": {
                "a": "1",
                "b": "true",
                "c": "",
                "n": "y",
                "t": "2026-01-01T00:00:00Z",
                "m": "x\ny\n",
            },
            "name": "web",
        },
        "apiVersion": "v1",
        "list": [{"k": "v"}],
    }
    assert formats.to_yaml(obj) == (
        'apiVersion: v1\nlist:\n- k: v\nmetadata:\n  annotations:\n    a: "1"\n    b: "true"\n    c: ""\n'
        '    m: |\n      x\n      y\n    "n": "y"\n    t: "2026-01-01T00:00:00Z"\n  name: web\n'
    )


def test_json_sorted_four_spaces_html_escaped() -> None:
    assert formats.to_json({"b": "<&>", "a": [1, {}]}) == (
        '{\n    "a": [\n        1,\n        {}\n    ],\n    "b": "\\u003c\\u0026\\u003e"\n}\n'
    )
    assert formats.as_list([]) == {
        "apiVersion": "v1",
        "items": [],
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    }


DATA = {
    "kind": "List",
    "items": [
        {
            "metadata": {"name": "a", "labels": {"app.kubernetes.io/name": "x"}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "X", "status": "False"}]},
            "spec": {"replicas": 3},
        },
        {"metadata": {"name": "b"}, "spec": {"replicas": 1}},
    ],
}


def test_jsonpath_kubectl_dialect() -> None:
    r = jsonpath.render
    assert r("{.items[*].metadata.name}", DATA) == "a b"
    assert r('{range .items[*]}{.metadata.name}{"\\t"}{.spec.replicas}{"\\n"}{end}', DATA) == "a\t3\nb\t1\n"
    assert r('{.items[0].status.conditions[?(@.type=="Ready")].status}', DATA) == "True"
    assert r("{.items[?(@.spec.replicas>2)].metadata.name}", DATA) == "a"
    assert r("{.items[0].metadata.labels['app.kubernetes.io/name']}", DATA) == "x"
    assert r("{.items[0].metadata.labels.app\\.kubernetes\\.io/name}", DATA) == "x"
    assert r("{.items[-1:].metadata.name}", DATA) == "b"
    assert r("{.items[0].spec}", DATA) == '{"replicas":3}'
    assert r("{.items[*].missing}", DATA) == ""
    assert r("names: {..name}", DATA) == "names: a b"
    assert r("{.kind},{.items[1].metadata.name}", DATA) == "List,b"


def test_human_duration_matches_kubectl() -> None:
    from clusterlab.kubectl.printers.ages import human_duration

    cases = {
        -5: "<invalid>", -1: "0s", 0: "0s", 119: "119s", 120: "2m", 125: "2m5s", 600: "10m", 10799: "179m",
        3 * 3600: "3h", 3 * 3600 + 60: "3h1m", 8 * 3600: "8h", 47 * 3600: "47h", 48 * 3600: "2d",
        50 * 3600: "2d2h", 8 * 86400: "8d", 729 * 86400: "729d", 730 * 86400: "2y", 731 * 86400: "2y1d",
        9 * 365 * 86400 + 5 * 86400: "9y",
    }  # fmt: skip
    assert {s: human_duration(s) for s in cases} == cases
