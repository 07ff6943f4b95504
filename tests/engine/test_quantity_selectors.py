import pytest

from clusterlab.engine.errors import BadRequest
from clusterlab.engine.quantity import QuantityError, format_bytes, format_cpu, int_value, milli_value
from clusterlab.engine.selectors import parse_label_selector, selector_from_spec


@pytest.mark.parametrize(
    ("text", "millis"),
    [("250m", 250), ("1", 1000), ("0.5", 500), ("1.5", 1500), ("100u", 1), ("2k", 2_000_000)],
)
def test_cpu_quantities(text, millis):
    assert milli_value(text) == millis


@pytest.mark.parametrize(
    ("text", "n"), [("128Mi", 134217728), ("1Gi", 1073741824), ("1G", 10**9), ("1e3", 1000), ("512", 512)]
)
def test_memory_quantities(text, n):
    assert int_value(text) == n


def test_quantities_print_as_kubectl_prints_them():
    assert [format_cpu(m) for m in (1500, 2000, 250)] == ["1500m", "2", "250m"]
    assert [format_bytes(n) for n in (768 * 2**20, 4 * 2**30, 1000)] == ["768Mi", "4Gi", "1000"]


def test_bad_quantity_is_rejected():
    with pytest.raises(QuantityError):
        milli_value("lots")


def test_label_selector_string_forms():
    sel = parse_label_selector("app=web,tier!=db,env in (prod,stage),!canary,team")
    assert sel.matches({"app": "web", "env": "prod", "team": "a"})
    assert not sel.matches({"app": "web", "env": "prod", "team": "a", "canary": "1"})
    assert not sel.matches({"app": "web", "env": "dev", "team": "a"})
    assert not sel.matches({"app": "web", "env": "prod"})
    assert not sel.matches({"app": "web", "env": "prod", "team": "a", "tier": "db"})


def test_label_selector_syntax_error_is_bad_request():
    with pytest.raises(BadRequest, match="unable to parse requirement"):
        parse_label_selector("app=web,(")


def test_label_selector_object_nil_matches_nothing_empty_matches_all():
    assert not selector_from_spec(None).matches({"a": "b"})
    assert selector_from_spec({}).matches({"a": "b"})
    sel = selector_from_spec(
        {
            "matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}],
        }
    )
    assert sel.matches({"app": "web"}) and not sel.matches({"app": "web", "tier": "db"})
