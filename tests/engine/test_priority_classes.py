"""PriorityClass as a stored kind, and the Priority admission plugin that reads it."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.cluster import LEARNER
from clusterlab.engine.errors import Forbidden, Invalid


def pc(name: str, value: int, **fields: Any) -> dict[str, Any]:
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": name},
        "value": value,
        **fields,
    }


def pod(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}], **spec},
    }


def test_the_system_classes_exist_from_the_start() -> None:
    c = Cluster()
    classes = {p["metadata"]["name"]: p for p in c.list("priorityclasses")}
    assert sorted(classes) == ["system-cluster-critical", "system-node-critical"]
    node = classes["system-node-critical"]
    assert node["value"] == 2000001000
    assert node["preemptionPolicy"] == "PreemptLowerPriority"
    assert (
        node["description"] == "Used for system critical pods that must not be moved from their current node."
    )
    assert node["metadata"]["generation"] == 1
    assert "globalDefault" not in node
    c.advance(10)
    apiserver = c.get("pod", "kube-apiserver-control-plane", "kube-system")
    assert apiserver["spec"]["priority"] == 2000001000


def cluster() -> Cluster:
    """A cluster a moment after start, when the `default` ServiceAccount pods need exists."""
    c = Cluster()
    c.advance(1)
    return c


def test_a_pod_gets_its_class_value_and_policy() -> None:
    c = cluster()
    c.apply(pc("batch", 100, preemptionPolicy="Never"))
    created = c.apply(pod("job", priorityClassName="batch"))[0]
    assert (created["spec"]["priority"], created["spec"]["preemptionPolicy"]) == (100, "Never")
    plain = c.apply(pod("plain"))[0]
    assert (plain["spec"]["priority"], plain["spec"]["preemptionPolicy"]) == (0, "PreemptLowerPriority")
    assert "priorityClassName" not in plain["spec"]


def test_the_global_default_applies_to_pods_without_a_class() -> None:
    c = cluster()
    c.apply(pc("normal", 500, globalDefault=True))
    created = c.apply(pod("web"))[0]
    assert created["spec"]["priorityClassName"] == "normal"
    assert created["spec"]["priority"] == 500
    with pytest.raises(Forbidden) as err:
        c.apply(pc("other", 10, globalDefault=True))
    assert err.value.message == (
        'priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass normal is already '
        "marked as default. Only one default can exist"
    )


def test_refusals_worded_as_the_priority_plugin_words_them() -> None:
    c = cluster()
    with pytest.raises(Forbidden) as err:
        c.apply(pod("p", priorityClassName="nope"))
    assert err.value.message == 'pods "p" is forbidden: no PriorityClass with name nope was found'
    with pytest.raises(Forbidden) as err:
        c.apply(pod("p", priority=7))
    assert err.value.message == (
        'pods "p" is forbidden: the integer value of priority (7) must not be provided in pod spec; '
        "priority admission controller computed 0 from the given PriorityClass name"
    )
    generated = pod("x", priorityClassName="nope")
    generated["metadata"] = {"generateName": "job-"}
    with pytest.raises(Forbidden) as err:  # mutating admission runs before the name is generated
        c.server.create(LEARNER, generated)
    assert err.value.message == 'pods "job-" is forbidden: no PriorityClass with name nope was found'


def test_value_is_immutable_and_system_classes_are_protected() -> None:
    c = Cluster()
    c.apply(pc("high", 1000))
    with pytest.raises(Invalid) as err:
        c.apply(pc("high", 2000))
    assert err.value.message == (
        'PriorityClass.scheduling.k8s.io "high" is invalid: value: Forbidden: may not be changed in an '
        "update."
    )
    with pytest.raises(Invalid) as err:
        c.apply(pc("system-mine", 5))
    assert err.value.message == (
        'PriorityClass.scheduling.k8s.io "system-mine" is invalid: metadata.name: Forbidden: priority '
        "class names with 'system-' prefix are reserved for system use only. error: system-mine is not "
        "a known system priority class"
    )
    with pytest.raises(Invalid) as err:
        c.apply(pc("huge", 1000000001))
    assert err.value.message == (
        'PriorityClass.scheduling.k8s.io "huge" is invalid: value: Forbidden: maximum allowed value of '
        "a user defined priority is 1000000000"
    )
    with pytest.raises(Forbidden) as err:
        c.delete("priorityclass", "system-node-critical", None)
    assert err.value.message == (
        'priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system '
        "priority class and cannot be deleted"
    )
    c.delete("pc", "high", None)
    assert [p["metadata"]["name"] for p in c.list("pc")] == [
        "system-cluster-critical",
        "system-node-critical",
    ]


def test_a_pod_update_keeps_the_computed_priority() -> None:
    c = cluster()
    c.apply(pc("batch", 100, preemptionPolicy="Never"))
    created = c.apply(pod("job", priorityClassName="batch"))[0]
    created["spec"].pop("priority")
    created["spec"].pop("preemptionPolicy")
    created["metadata"]["labels"] = {"touched": "yes"}
    updated = c.update(created)
    assert (updated["spec"]["priority"], updated["spec"]["preemptionPolicy"]) == (100, "Never")
