"""KubeSchedulerConfiguration: reading it (defaults, merge rules, validation in kube-scheduler's
words), several profiles in one kube-scheduler, and changing the file on a running cluster.
Exact timelines on the virtual clock."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from clusterlab.engine import Cluster
from clusterlab.engine.errors import BadRequest
from clusterlab.engine.printers import pod_status
from clusterlab.engine.scheduler.profiles import Framework
from clusterlab.engine.scheduler.registry import DEFAULT_MULTI_POINT, Profile
from clusterlab.engine.scheduler.scheduler_config import (
    DEFAULT_CONFIG_YAML,
    SchedulerConfigError,
    read_scheduler_configuration,
)
from clusterlab.engine.timefmt import seconds_since

START = 0.5 + 0.1 + 0.2  # sandbox, create and start of the component's container
HEAD = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"
DEFAULT_NAMES = [name for name, _ in DEFAULT_MULTI_POINT]

BIN_PACKER = (
    HEAD
    + """profiles:
  - schedulerName: default-scheduler
  - schedulerName: bin-packer
    pluginConfig:
      - name: NodeResourcesFit
        args:
          scoringStrategy:
            type: MostAllocated
"""
)


def config(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration", **fields}


def one(plugins: dict[str, Any] | None = None, **fields: Any) -> Profile:
    """The single profile a configuration of one profile gives."""
    prof: dict[str, Any] = {"schedulerName": "p", **fields}
    if plugins is not None:
        prof["plugins"] = plugins
    (profile,) = read_scheduler_configuration(config(profiles=[prof])).profiles
    return profile


def scores(profile: Profile) -> list[tuple[str, int]]:
    return [(p.name, w) for p, w in Framework(profile, None).scores]


# -- reading: defaults and the merge rules ----------------------------------------------------


def test_no_profiles_is_one_default_scheduler_with_the_default_plugins() -> None:
    (profile,) = read_scheduler_configuration(DEFAULT_CONFIG_YAML).profiles
    assert profile.scheduler_name == "default-scheduler"
    assert profile.multi_point == DEFAULT_MULTI_POINT
    (alone,) = read_scheduler_configuration(config()).profiles
    assert alone.scheduler_name == "default-scheduler"
    assert read_scheduler_configuration(config(profiles=[{}])).scheduler_names == ["default-scheduler"]


@pytest.mark.parametrize(
    ("multi_point", "expected"),
    [
        # a disabled default plugin leaves the set; the others keep their order and weights
        (
            {"disabled": [{"name": "NodeAffinity"}]},
            [entry for entry in DEFAULT_MULTI_POINT if entry[0] != "NodeAffinity"],
        ),
        # a default plugin listed again is replaced in place, weight and all
        (
            {"enabled": [{"name": "TaintToleration", "weight": 7}]},
            [("TaintToleration", 7) if n == "TaintToleration" else (n, w) for n, w in DEFAULT_MULTI_POINT],
        ),
        (  # ... even without a weight: it is then 0, which scores as 1
            {"enabled": [{"name": "NodeAffinity"}]},
            [("NodeAffinity", 0) if n == "NodeAffinity" else (n, w) for n, w in DEFAULT_MULTI_POINT],
        ),
        # "*" drops every default; what is listed is all there is
        (
            {"disabled": [{"name": "*"}], "enabled": [{"name": "NodeName"}, {"name": "DefaultBinder"}]},
            [("NodeName", 0), ("DefaultBinder", 0)],
        ),
    ],
)
def test_multi_point_merges_into_the_defaults(
    multi_point: dict[str, Any], expected: list[tuple[str, int]]
) -> None:
    assert one({"multiPoint": multi_point}).multi_point == expected


def test_a_score_entry_overrides_multi_point_in_order_and_weight() -> None:
    default = scores(Profile())
    profile = one({"score": {"enabled": [{"name": "NodeResourcesFit", "weight": 5}]}})
    assert scores(profile) == [("NodeResourcesFit", 5)] + [s for s in default if s[0] != "NodeResourcesFit"]
    assert "NodeResourcesFit" in profile.enabled("filter")  # the other extension points keep it


def test_disabling_at_one_extension_point() -> None:
    profile = one({"score": {"disabled": [{"name": "TaintToleration"}]}})
    assert "TaintToleration" not in dict(scores(profile))
    assert "TaintToleration" in [p.name for p in Framework(profile, None).filters]
    only = one({"score": {"disabled": [{"name": "*"}], "enabled": [{"name": "NodeAffinity", "weight": 3}]}})
    assert scores(only) == [("NodeAffinity", 3)]
    assert [p.name for p in Framework(only, None).filters] == [
        p.name for p in Framework(Profile(), None).filters
    ]


def test_plugin_args_keep_their_keys_and_percentages_inherit_the_global_one() -> None:
    added = {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}
    cfg = read_scheduler_configuration(
        config(
            percentageOfNodesToScore=30,
            profiles=[
                {
                    "schedulerName": "a",
                    "percentageOfNodesToScore": 50,
                    "pluginConfig": [{"name": "NodeAffinity", "args": {"addedAffinity": added}}],
                },
                {"schedulerName": "b"},
            ],
        )
    )
    a, b = cfg.profiles
    assert a.plugin_args == {"NodeAffinity": {"addedAffinity": added}}
    assert (a.percentage_of_nodes_to_score, b.percentage_of_nodes_to_score) == (50, 30)
    assert read_scheduler_configuration(config()).profiles[0].percentage_of_nodes_to_score == 0


def test_a_scoring_strategy_reaches_the_plugin() -> None:
    (_, packer) = read_scheduler_configuration(BIN_PACKER).profiles
    plugin = Framework(packer, None).plugins["NodeResourcesFit"]
    assert plugin.strategy.type == "MostAllocated"  # type: ignore[attr-defined]
    assert plugin.strategy.resources == (("cpu", 1), ("memory", 1))  # type: ignore[attr-defined]


# -- reading: what kube-scheduler refuses -----------------------------------------------------

PREFIX = "initializing profiles: creating profile for scheduler name p: "
PROFILE = HEAD + "profiles:\n- schedulerName: p\n"
PLUGINS = PROFILE + "  plugins:\n"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("profiles: [\n",
         "error converting YAML to JSON: yaml: line 2: expected the node content, but found '<stream end>'"),
        ("", "Object 'Kind' is missing in the configuration (it is empty)"),
        ("- a\n",
         "couldn't decode the configuration: expected a KubeSchedulerConfiguration object, got array"),
        (
            "apiVersion: kubescheduler.config.k8s.io/v1beta3\nkind: KubeSchedulerConfiguration\n",
            'no kind "KubeSchedulerConfiguration" is registered for version '
            '"kubescheduler.config.k8s.io/v1beta3" in scheme "pkg/scheduler/apis/config/scheme/scheme.go:30"',
        ),
        (PROFILE + "  plugin: {}\n", 'strict decoding error: unknown field "profiles[0].plugin"'),
        (HEAD + "percentageOfNode: 5\n", 'strict decoding error: unknown field "percentageOfNode"'),
        (
            HEAD + "profiles:\n- schedulerName: a\n- schedulerName: a\n- {}\n",
            '[profiles[1].schedulerName: Duplicate value: "a", profiles[2].schedulerName: Required value]',
        ),
        (
            PROFILE + "  percentageOfNodesToScore: -1\npercentageOfNodesToScore: 101\n",
            "[profiles[0].percentageOfNodesToScore: Invalid value: -1: not in valid range [0-100], "
            "percentageOfNodesToScore: Invalid value: 101: not in valid range [0-100]]",
        ),
        (
            PLUGINS + "    filter:\n      enabled:\n      - name: Foo\n",
            PREFIX + 'FilterPlugin "Foo" does not exist',
        ),
        (
            PLUGINS + "    multiPoint:\n      enabled:\n      - name: Bar\n",
            PREFIX + 'PreFilterPlugin "Bar" does not exist',
        ),
        (
            PLUGINS + "    score:\n      enabled:\n      - name: NodeName\n",
            PREFIX + 'plugin "NodeName" does not extend ScorePlugin plugin',
        ),
        (
            PLUGINS + "    score:\n      enabled:\n"
            "      - name: NodeAffinity\n      - name: NodeAffinity\n",
            PREFIX + 'plugin "NodeAffinity" already registered as "ScorePlugin"',
        ),
        (
            PLUGINS + "    multiPoint:\n      disabled:\n      - name: DefaultBinder\n",
            PREFIX + 'at least one bind plugin is needed for profile with scheduler name "p"',
        ),
        (
            PLUGINS + "    score:\n      enabled:\n"
            "      - name: NodeAffinity\n        weight: 3000000000\n",
            "profiles[0].plugins.score.enabled[0].weight: cannot unmarshal number 3000000000 into int32",
        ),
        (
            PROFILE + "  pluginConfig:\n  - name: NodeResourcesFit\n    args:\n"
            "      scoringStrategy:\n        type: MostAllocated\n        resources:\n        - name: cpu\n"
            "          weight: 101\n",
            PREFIX + 'initializing plugin "NodeResourcesFit": scoringStrategy.resources[0].weight: '
            "Invalid value: 101: resource weight of cpu not in valid range (0, 100]",
        ),
        (
            PROFILE + "  pluginConfig:\n  - name: NodeAffinity\n  - name: NodeAffinity\n",
            'profiles[0].pluginConfig[1]: Duplicate value: "NodeAffinity"',
        ),
    ],
)  # fmt: skip
def test_refused_configurations_say_why(text: str, error: str) -> None:
    with pytest.raises(SchedulerConfigError) as info:
        read_scheduler_configuration(text)
    assert str(info.value) == error


# -- several profiles in one kube-scheduler ---------------------------------------------------


def _pod(name: str, scheduler: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [
            {
                "name": "app",
                "image": "nginx:1.27",
                "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
            }
        ]
    }
    if scheduler:
        spec["schedulerName"] = scheduler
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def _scheduling_events(c: Cluster, name: str) -> list[tuple[float, str, str, str]]:
    return [
        (seconds_since(c.epoch, e["lastTimestamp"]), e["reason"], e["source"]["component"], e["message"])
        for e in c.events()
        if e["involvedObject"]["name"] == name and e["reason"] in ("Scheduled", "FailedScheduling")
    ]


def _node_of(c: Cluster, name: str) -> str | None:
    return c.get("pod", name)["spec"].get("nodeName")


def test_configuring_restarts_kube_scheduler_with_both_profiles() -> None:
    c = Cluster(seed=7)
    c.advance(10)
    old = c.scheduler
    assert old is not None and list(old.frameworks) == ["default-scheduler"]
    assert c.configure_scheduler(BIN_PACKER) == ["default-scheduler", "bin-packer"]
    assert c.scheduler_config_yaml == BIN_PACKER
    # The changed manifest: the kubelet kills the container and deletes its mirror pod...
    assert c.scheduler is None
    assert "kube-scheduler-control-plane" not in [
        p["metadata"]["name"] for p in c.list("pods", "kube-system")
    ]
    c.advance(START - 0.001)
    assert c.scheduler is None
    c.advance(0.001)  # ...and the new process reads the file, wins the released lease and runs both
    assert c.scheduler is not old and list(c.scheduler.frameworks) == ["default-scheduler", "bin-packer"]
    c.advance(2)
    assert pod_status(c.get("pod", "kube-scheduler-control-plane", "kube-system")) == "Running"


def test_bin_packer_packs_while_default_scheduler_spreads() -> None:
    c = Cluster(seed=7)
    c.advance(10)
    c.configure_scheduler(BIN_PACKER)
    c.advance(START)
    for i in range(3):
        c.apply(_pod(f"packed-{i}", "bin-packer"))
    for i in range(3):
        c.apply(_pod(f"spread-{i}"))
    c.advance(1)
    # MostAllocated: worker-3 already runs a CoreDNS pod (100m, 70Mi), local-path-provisioner and
    # its kube-proxy pod (no requests: scored as 100m, 200Mi each), the fullest worker that fits:
    # (400/2000 → 20 + 534/4096 Mi → 13) / 2 → 16, against 13 on worker-2 (metrics-server's 100m,
    # 200Mi and kube-proxy) and 11 on worker-1 (CoreDNS and kube-proxy); each pod placed there
    # keeps it the fullest, so it gets them all. (BalancedAllocation, which counts only real
    # requests, prefers worker-2, 98 to 96: worker-3 still wins 412 to 411.)
    assert c.get("pod", "packed-0")["spec"]["nodeName"] == "worker-3"
    assert {_node_of(c, f"packed-{i}") for i in range(3)} == {"worker-3"}
    diagnosis = c.scheduling_diagnosis("packed-0")
    assert diagnosis is not None
    assert diagnosis.plugin_scores["NodeResourcesFit"].raw == {"worker-1": 11, "worker-2": 13, "worker-3": 16}
    # LeastAllocated: the default profile's pods go where least is requested, away from worker-3.
    # The first finds worker-1 and worker-2 equal (484: 88 + 96 against 86 + 98) and the seeded
    # tie-break picks worker-1; the second then goes to worker-2 (484 against 479); the third
    # finds them equal again (479), and the tie-break picks one.
    assert [_node_of(c, f"spread-{i}") for i in range(2)] == ["worker-1", "worker-2"]
    assert _node_of(c, "spread-2") in ("worker-1", "worker-2")
    # Scheduled at once, at 10.8 s (event timestamps keep whole seconds), each by its profile.
    assert _scheduling_events(c, "packed-0") == [
        (10.0, "Scheduled", "bin-packer", "Successfully assigned default/packed-0 to worker-3")
    ]
    assert _scheduling_events(c, "spread-0") == [
        (10.0, "Scheduled", "default-scheduler", "Successfully assigned default/spread-0 to worker-1")
    ]


def test_a_pod_naming_no_profile_stays_pending_without_an_event() -> None:
    c = Cluster.from_scenario("bin-packing", seed=7)
    assert list(c.scheduler.frameworks) == ["default-scheduler", "bin-packer"]  # type: ignore[union-attr]
    c.apply(_pod("orphan", "nobody"))
    c.apply(_pod("packed", "bin-packer"))
    c.advance(60)
    orphan = c.get("pod", "orphan")
    assert pod_status(orphan) == "Pending" and not orphan["spec"].get("nodeName")
    assert "conditions" not in orphan["status"]  # no PodScheduled=False: nobody tried
    assert [e for e in c.events() if e["involvedObject"]["name"] == "orphan"] == []
    assert _scheduling_events(c, "packed")[0][1:3] == ("Scheduled", "bin-packer")


def test_a_refused_configuration_changes_nothing() -> None:
    c = Cluster(seed=7)
    c.advance(10)
    running = c.scheduler
    with pytest.raises(BadRequest) as info:
        c.configure_scheduler(HEAD + "profiles:\n- schedulerName: a\n- schedulerName: a\n")
    assert info.value.message == (
        'invalid kube-scheduler configuration: profiles[1].schedulerName: Duplicate value: "a"'
    )
    c.advance(5)
    assert c.scheduler is running
    assert c.scheduler_config_yaml == DEFAULT_CONFIG_YAML


def test_a_stopped_scheduler_reads_the_new_file_when_started_again() -> None:
    c = Cluster(seed=7)
    c.stop_component("kube-scheduler")
    c.configure_scheduler(BIN_PACKER)
    c.advance(5)
    assert c.scheduler is None  # its manifest is still moved away
    c.start_component("kube-scheduler")
    c.advance(START)
    assert list(c.scheduler.frameworks) == ["default-scheduler", "bin-packer"]  # type: ignore[union-attr]


def test_the_scenario_file_carries_the_configuration() -> None:
    c = Cluster.from_scenario("bin-packing")
    assert yaml.safe_load(c.scheduler_config_yaml)["profiles"][1]["schedulerName"] == "bin-packer"
    assert c.scheduler_configuration.scheduler_names == ["default-scheduler", "bin-packer"]
