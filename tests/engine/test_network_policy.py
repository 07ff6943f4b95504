"""NetworkPolicy semantics (`network/policy.py`), table-driven: which connections pass, which
rule let each through, and why a dropped one was dropped.

The objects are stored, defaulted policies and running pods as the API holds them (a small
in-memory store, no cluster): pods of `default`, `monitoring` and `other`, a host-network agent
and the nodes' addresses. Each case names the policies in force, a source, a destination pod
or address, a port and a protocol, and the exact verdict text.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from clusterlab.engine.network.policy import End, PolicyDrops, Verdict, allowed, evaluate
from clusterlab.engine.network_policies import default_network_policy

Obj = dict[str, Any]
NODE_IPS = {"worker-1": "192.168.0.11", "worker-2": "192.168.0.12"}


def _pod(
    ns: str, name: str, labels: dict[str, str], ip: str, node: str, ports: list[Obj] | None = None
) -> Obj:
    container: Obj = {"name": "main", "image": "nginx:1.27"}
    if ports:
        container["ports"] = ports
    return {
        "metadata": {"namespace": ns, "name": name, "labels": labels},
        "spec": {"nodeName": node, "containers": [container]},
        "status": {"phase": "Running", "podIP": ip},
    }


PODS = {
    "nginx": _pod(
        "default",
        "nginx",
        {"app": "nginx"},
        "10.244.1.2",
        "worker-1",
        [{"containerPort": 80, "name": "http"}],
    ),
    "client": _pod("default", "client", {"run": "client", "access": "true"}, "10.244.2.3", "worker-2"),
    "stranger": _pod("default", "stranger", {"run": "stranger"}, "10.244.2.4", "worker-2"),
    "db": _pod(
        "default",
        "db",
        {"role": "db"},
        "10.244.1.7",
        "worker-1",
        [{"containerPort": 6379, "name": "redis"}, {"containerPort": 53, "name": "dns", "protocol": "UDP"}],
    ),
    "prom": _pod("monitoring", "prom", {"app": "prometheus"}, "10.244.2.5", "worker-2"),
    "grafana": _pod("monitoring", "grafana", {"app": "grafana"}, "10.244.2.8", "worker-2"),
    "other-prom": _pod("other", "prom", {"app": "prometheus"}, "10.244.1.6", "worker-1"),
    "agent": {
        **_pod("kube-system", "agent", {"app": "agent"}, NODE_IPS["worker-1"], "worker-1"),
        "spec": {
            "nodeName": "worker-1",
            "hostNetwork": True,
            "containers": [{"name": "a", "image": "agent"}],
        },
    },
}
NAMESPACES = {
    "default": {},
    "kube-system": {},
    "monitoring": {"team": "ops"},
    "other": {},
}


class FakeStore:
    """The objects the API holds, read as the policy agent's informers see them."""

    def __init__(self, policies: list[Obj]) -> None:
        self.objects: dict[str, list[Obj]] = {
            "pods": list(PODS.values()),
            "namespaces": [
                {"metadata": {"name": n, "labels": {"kubernetes.io/metadata.name": n, **extra}}}
                for n, extra in NAMESPACES.items()
            ],
            "networkpolicies": policies,
        }

    def get(self, plural: str, namespace: str | None, name: str) -> Obj | None:
        return next(
            (
                o
                for o in self.objects.get(plural, [])
                if o["metadata"]["name"] == name and o["metadata"].get("namespace", "") == (namespace or "")
            ),
            None,
        )

    def iter(self, plural: str, namespace: str | None = None) -> Iterator[Obj]:
        for o in self.objects.get(plural, []):
            if namespace is None or o["metadata"].get("namespace") == namespace:
                yield o


def policy(name: str, spec: Obj, namespace: str = "default") -> Obj:
    obj = {"metadata": {"name": name, "namespace": namespace}, "spec": copy.deepcopy(spec)}
    default_network_policy(obj)
    return obj


# The documentation's examples (service/networking/network-policy-*.yaml and the task's).
ACCESS_NGINX = policy(
    "access-nginx",
    {
        "podSelector": {"matchLabels": {"app": "nginx"}},
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"access": "true"}}}]}],
    },
)
DENY_INGRESS = policy("default-deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]})
ALLOW_ALL_INGRESS = policy(
    "allow-all-ingress", {"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]}
)
DENY_EGRESS = policy("default-deny-egress", {"podSelector": {}, "policyTypes": ["Egress"]})
ALLOW_ALL_EGRESS = policy("allow-all-egress", {"podSelector": {}, "egress": [{}], "policyTypes": ["Egress"]})
DENY_ALL = policy("default-deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
TEST_NETWORK_POLICY = policy(
    "test-network-policy",
    {
        "podSelector": {"matchLabels": {"role": "db"}},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {
                "from": [
                    {"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}},
                    {"namespaceSelector": {"matchLabels": {"team": "ops"}}},
                    {"podSelector": {"matchLabels": {"role": "frontend"}}},
                ],
                "ports": [{"protocol": "TCP", "port": 6379}],
            }
        ],
        "egress": [
            {"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}], "ports": [{"protocol": "TCP", "port": 5978}]}
        ],
    },
)
PROM_AND = policy(
    "prometheus-and",
    {
        "podSelector": {"matchLabels": {"app": "nginx"}},
        "ingress": [
            {
                "from": [
                    {
                        "namespaceSelector": {"matchLabels": {"team": "ops"}},
                        "podSelector": {"matchLabels": {"app": "prometheus"}},
                    }
                ]
            }
        ],
    },
)
PROM_OR = policy(
    "prometheus-or",
    {
        "podSelector": {"matchLabels": {"app": "nginx"}},
        "ingress": [
            {
                "from": [
                    {"namespaceSelector": {"matchLabels": {"team": "ops"}}},
                    {"podSelector": {"matchLabels": {"app": "prometheus"}}},
                ]
            }
        ],
    },
)
SAME_NS_PROM = policy(
    "same-namespace-prometheus",
    {
        "podSelector": {"matchLabels": {"app": "nginx"}},
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "prometheus"}}}]}],
    },
)
ALL_NAMESPACES = policy(
    "all-namespaces",
    {"podSelector": {"matchLabels": {"app": "nginx"}}, "ingress": [{"from": [{"namespaceSelector": {}}]}]},
)
NAMED_PORT = policy(
    "named-port",
    {"podSelector": {"matchLabels": {"app": "nginx"}}, "ingress": [{"ports": [{"port": "http"}]}]},
)
MISSING_NAMED_PORT = policy(
    "missing-named-port",
    {"podSelector": {"matchLabels": {"app": "nginx"}}, "ingress": [{"ports": [{"port": "https"}]}]},
)
RANGE = policy(
    "range",
    {
        "podSelector": {"matchLabels": {"app": "nginx"}},
        "ingress": [{"ports": [{"port": 32000, "endPort": 32768}]}],
    },
)
UDP_ANY = policy(
    "udp-any", {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [{"ports": [{"protocol": "UDP"}]}]}
)
DNS_ONLY_EGRESS = policy(
    "dns-only-egress",
    {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53}]}],
    },
)
NODE_BLOCK = policy(
    "from-nodes",
    {
        "podSelector": {"matchLabels": {"app": "nginx"}},
        "ingress": [{"from": [{"ipBlock": {"cidr": "192.168.0.0/24"}}]}],
    },
)
POD_CIDR_BLOCK = policy(
    "from-pod-cidr",
    {
        "podSelector": {"matchLabels": {"app": "nginx"}},
        "ingress": [{"from": [{"ipBlock": {"cidr": "10.244.0.0/16", "except": ["10.244.2.4/32"]}}]}],
    },
)
EGRESS_TO_NGINX = policy(
    "client-to-nginx",
    {
        "podSelector": {"matchLabels": {"run": "client"}},
        "policyTypes": ["Egress"],
        "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "nginx"}}}], "ports": [{"port": 80}]}],
    },
)
EGRESS_TYPES_ONLY = policy(
    "egress-type-only",
    {"podSelector": {}, "policyTypes": ["Egress"], "ingress": [], "egress": [{}]},
)
WEB_80 = policy(
    "web-80",
    {
        "podSelector": {"matchLabels": {"app": "nginx"}},
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"run": "client"}}}], "ports": [{"port": 80}]}],
    },
)
WEB_443 = policy(
    "web-443",
    {
        "podSelector": {"matchLabels": {"app": "nginx"}},
        "ingress": [
            {"from": [{"podSelector": {"matchLabels": {"run": "stranger"}}}], "ports": [{"port": 443}]}
        ],
    },
)


def pod_end(name: str) -> End:
    pod = PODS[name]
    if pod["spec"].get("hostNetwork"):
        return End(NODE_IPS[pod["spec"]["nodeName"]], None, pod["spec"]["nodeName"])
    return End(pod["status"]["podIP"], pod, pod["spec"]["nodeName"])


def node_end(node: str) -> End:
    return End(NODE_IPS[node], None, node)


@dataclass(frozen=True)
class Case:
    policies: tuple[Obj, ...]
    source: End
    destination: End
    port: int
    reason: str
    protocol: str = "TCP"


DROP_NGINX_STRANGER = (
    "dropped: default/nginx is isolated for ingress by default/access-nginx, and no ingress rule "
    "allows TCP port 80 from default/stranger"
)

CASES = {
    "no policy, nothing isolated": Case(
        (), pod_end("stranger"), pod_end("nginx"), 80, "allowed: no NetworkPolicy isolates either end"
    ),
    "access-nginx lets access=true in": Case(
        (ACCESS_NGINX,), pod_end("client"), pod_end("nginx"), 80, "allowed by default/access-nginx ingress[0]"
    ),
    "access-nginx drops the unlabelled": Case(
        (ACCESS_NGINX,), pod_end("stranger"), pod_end("nginx"), 80, DROP_NGINX_STRANGER
    ),
    "access-nginx leaves other pods open": Case(
        (ACCESS_NGINX,),
        pod_end("stranger"),
        pod_end("db"),
        6379,
        "allowed: no NetworkPolicy isolates either end",
    ),
    "access-nginx: no port limit": Case(
        (ACCESS_NGINX,),
        pod_end("client"),
        pod_end("nginx"),
        8443,
        "allowed by default/access-nginx ingress[0]",
    ),
    "default deny ingress": Case(
        (DENY_INGRESS,),
        pod_end("client"),
        pod_end("nginx"),
        80,
        "dropped: default/nginx is isolated for ingress by default/default-deny-ingress, and no ingress "
        "rule allows TCP port 80 from default/client",
    ),
    "default deny ingress: the pod's own node still probes it": Case(
        (DENY_INGRESS,),
        node_end("worker-1"),
        pod_end("nginx"),
        80,
        "allowed: traffic from the pod's own node is always allowed in",
    ),
    "default deny ingress: another node is dropped": Case(
        (DENY_INGRESS,),
        node_end("worker-2"),
        pod_end("nginx"),
        80,
        "dropped: default/nginx is isolated for ingress by default/default-deny-ingress, and no ingress "
        "rule allows TCP port 80 from 192.168.0.12",
    ),
    "default deny ingress: a host-network pod is its node": Case(
        (DENY_INGRESS,),
        pod_end("agent"),
        pod_end("nginx"),
        80,
        "allowed: traffic from the pod's own node is always allowed in",
    ),
    "default deny ingress does not isolate other namespaces": Case(
        (DENY_INGRESS,),
        pod_end("client"),
        pod_end("prom"),
        9090,
        "allowed: no NetworkPolicy isolates either end",
    ),
    "allow-all beside deny-all wins (policies are ORed)": Case(
        (DENY_INGRESS, ALLOW_ALL_INGRESS),
        pod_end("stranger"),
        pod_end("nginx"),
        80,
        "allowed by default/allow-all-ingress ingress[0]",
    ),
    "default deny egress": Case(
        (DENY_EGRESS,),
        pod_end("client"),
        pod_end("nginx"),
        80,
        "dropped: default/client is isolated for egress by default/default-deny-egress, and no egress "
        "rule allows TCP port 80 to default/nginx",
    ),
    "default deny egress: allow-all egress": Case(
        (DENY_EGRESS, ALLOW_ALL_EGRESS),
        pod_end("client"),
        pod_end("nginx"),
        80,
        "allowed by default/allow-all-egress egress[0]",
    ),
    "default deny egress: from another namespace in is fine": Case(
        (DENY_EGRESS,), pod_end("prom"), pod_end("nginx"), 80, "allowed: no NetworkPolicy isolates either end"
    ),
    "default deny all: egress refuses first": Case(
        (DENY_ALL,),
        pod_end("client"),
        pod_end("nginx"),
        80,
        "dropped: default/client is isolated for egress by default/default-deny-all, and no egress rule "
        "allows TCP port 80 to default/nginx",
    ),
    "default deny all: from outside the namespace, ingress refuses": Case(
        (DENY_ALL,),
        pod_end("prom"),
        pod_end("nginx"),
        80,
        "dropped: default/nginx is isolated for ingress by default/default-deny-all, and no ingress rule "
        "allows TCP port 80 from monitoring/prom",
    ),
    "namespace and pod selector in one peer: both must match": Case(
        (PROM_AND,), pod_end("prom"), pod_end("nginx"), 80, "allowed by default/prometheus-and ingress[0]"
    ),
    "namespace and pod selector in one peer: wrong pod": Case(
        (PROM_AND,),
        pod_end("grafana"),
        pod_end("nginx"),
        80,
        "dropped: default/nginx is isolated for ingress by default/prometheus-and, and no ingress rule "
        "allows TCP port 80 from monitoring/grafana",
    ),
    "namespace and pod selector in one peer: wrong namespace": Case(
        (PROM_AND,),
        pod_end("other-prom"),
        pod_end("nginx"),
        80,
        "dropped: default/nginx is isolated for ingress by default/prometheus-and, and no ingress rule "
        "allows TCP port 80 from other/prom",
    ),
    "two peers are ORed: any pod of the namespace": Case(
        (PROM_OR,), pod_end("grafana"), pod_end("nginx"), 80, "allowed by default/prometheus-or ingress[0]"
    ),
    "a podSelector alone picks the policy's namespace only": Case(
        (SAME_NS_PROM,),
        pod_end("other-prom"),
        pod_end("nginx"),
        80,
        "dropped: default/nginx is isolated for ingress by default/same-namespace-prometheus, and no "
        "ingress rule allows TCP port 80 from other/prom",
    ),
    "an empty namespaceSelector picks every namespace": Case(
        (ALL_NAMESPACES,),
        pod_end("other-prom"),
        pod_end("nginx"),
        80,
        "allowed by default/all-namespaces ingress[0]",
    ),
    "an empty namespaceSelector picks no node": Case(
        (ALL_NAMESPACES,),
        node_end("worker-2"),
        pod_end("nginx"),
        80,
        "dropped: default/nginx is isolated for ingress by default/all-namespaces, and no ingress rule "
        "allows TCP port 80 from 192.168.0.12",
    ),
    "test-network-policy: ipBlock": Case(
        (TEST_NETWORK_POLICY,),
        End("172.17.0.5"),
        pod_end("db"),
        6379,
        "allowed by default/test-network-policy ingress[0]",
    ),
    "test-network-policy: ipBlock except": Case(
        (TEST_NETWORK_POLICY,),
        End("172.17.1.5"),
        pod_end("db"),
        6379,
        "dropped: default/db is isolated for ingress by default/test-network-policy, and no ingress rule "
        "allows TCP port 6379 from 172.17.1.5",
    ),
    "test-network-policy: namespace selector, right port": Case(
        (TEST_NETWORK_POLICY,),
        pod_end("grafana"),
        pod_end("db"),
        6379,
        "allowed by default/test-network-policy ingress[0]",
    ),
    "test-network-policy: wrong port": Case(
        (TEST_NETWORK_POLICY,),
        pod_end("grafana"),
        pod_end("db"),
        6380,
        "dropped: default/db is isolated for ingress by default/test-network-policy, and no ingress rule "
        "allows TCP port 6380 from monitoring/grafana",
    ),
    "test-network-policy: wrong protocol": Case(
        (TEST_NETWORK_POLICY,),
        pod_end("grafana"),
        pod_end("db"),
        6379,
        "dropped: default/db is isolated for ingress by default/test-network-policy, and no ingress rule "
        "allows UDP port 6379 from monitoring/grafana",
        "UDP",
    ),
    "test-network-policy: egress to its ipBlock": Case(
        (TEST_NETWORK_POLICY,),
        pod_end("db"),
        End("10.0.0.9"),
        5978,
        "allowed by default/test-network-policy egress[0]",
    ),
    "test-network-policy: egress elsewhere": Case(
        (TEST_NETWORK_POLICY,),
        pod_end("db"),
        pod_end("nginx"),
        80,
        "dropped: default/db is isolated for egress by default/test-network-policy, and no egress rule "
        "allows TCP port 80 to default/nginx",
    ),
    "a named port is the destination's container port": Case(
        (NAMED_PORT,), pod_end("stranger"), pod_end("nginx"), 80, "allowed by default/named-port ingress[0]"
    ),
    "a named port matches no other number": Case(
        (NAMED_PORT,),
        pod_end("stranger"),
        pod_end("nginx"),
        8080,
        "dropped: default/nginx is isolated for ingress by default/named-port, and no ingress rule "
        "allows TCP port 8080 from default/stranger",
    ),
    "a name the pod does not declare matches nothing": Case(
        (MISSING_NAMED_PORT,),
        pod_end("stranger"),
        pod_end("nginx"),
        443,
        "dropped: default/nginx is isolated for ingress by default/missing-named-port, and no ingress "
        "rule allows TCP port 443 from default/stranger",
    ),
    "endPort: the range's last port": Case(
        (RANGE,), pod_end("stranger"), pod_end("nginx"), 32768, "allowed by default/range ingress[0]"
    ),
    "endPort: one past the range": Case(
        (RANGE,),
        pod_end("stranger"),
        pod_end("nginx"),
        32769,
        "dropped: default/nginx is isolated for ingress by default/range, and no ingress rule allows TCP "
        "port 32769 from default/stranger",
    ),
    "a protocol without a port: every port of it": Case(
        (UDP_ANY,), pod_end("stranger"), pod_end("db"), 5353, "allowed by default/udp-any ingress[0]", "UDP"
    ),
    "a protocol without a port: not another protocol": Case(
        (UDP_ANY,),
        pod_end("stranger"),
        pod_end("db"),
        6379,
        "dropped: default/db is isolated for ingress by default/udp-any, and no ingress rule allows TCP "
        "port 6379 from default/stranger",
    ),
    "egress to DNS only: lookups pass": Case(
        (DNS_ONLY_EGRESS,),
        pod_end("client"),
        End("10.244.0.3"),
        53,
        "allowed by default/dns-only-egress egress[0]",
        "UDP",
    ),
    "egress to DNS only: web is dropped": Case(
        (DNS_ONLY_EGRESS,),
        pod_end("client"),
        pod_end("nginx"),
        80,
        "dropped: default/client is isolated for egress by default/dns-only-egress, and no egress rule "
        "allows TCP port 80 to default/nginx",
    ),
    "ipBlock of the node addresses: a node": Case(
        (NODE_BLOCK,), node_end("worker-2"), pod_end("nginx"), 80, "allowed by default/from-nodes ingress[0]"
    ),
    "ipBlock of the node addresses: a host-network pod elsewhere": Case(
        (NODE_BLOCK,),
        End(NODE_IPS["worker-2"], None, "worker-2"),
        pod_end("nginx"),
        80,
        "allowed by default/from-nodes ingress[0]",
    ),
    "ipBlock of the pod CIDR matches pods": Case(
        (POD_CIDR_BLOCK,),
        pod_end("client"),
        pod_end("nginx"),
        80,
        "allowed by default/from-pod-cidr ingress[0]",
    ),
    "ipBlock except a pod's address": Case(
        (POD_CIDR_BLOCK,),
        pod_end("stranger"),
        pod_end("nginx"),
        80,
        "dropped: default/nginx is isolated for ingress by default/from-pod-cidr, and no ingress rule "
        "allows TCP port 80 from default/stranger",
    ),
    "both sides allow: egress rule and ingress rule": Case(
        (EGRESS_TO_NGINX, ACCESS_NGINX),
        pod_end("client"),
        pod_end("nginx"),
        80,
        "allowed by default/client-to-nginx egress[0] and default/access-nginx ingress[0]",
    ),
    "egress allows, ingress drops": Case(
        (EGRESS_TO_NGINX, DENY_INGRESS),
        pod_end("client"),
        pod_end("nginx"),
        80,
        "dropped: default/nginx is isolated for ingress by default/default-deny-ingress, and no ingress "
        "rule allows TCP port 80 from default/client",
    ),
    "policyTypes without Ingress: ingress rules are not in force": Case(
        (EGRESS_TYPES_ONLY,),
        pod_end("stranger"),
        pod_end("nginx"),
        80,
        "allowed by default/egress-type-only egress[0]",
    ),
    "rules of several policies are ORed per port": Case(
        (WEB_80, WEB_443), pod_end("stranger"), pod_end("nginx"), 443, "allowed by default/web-443 ingress[0]"
    ),
    "rules of several policies: no rule for this pair": Case(
        (WEB_80, WEB_443),
        pod_end("stranger"),
        pod_end("nginx"),
        80,
        "dropped: default/nginx is isolated for ingress by default/web-443, default/web-80, and no ingress "
        "rule allows TCP port 80 from default/stranger",
    ),
    "a host-network destination is never isolated": Case(
        (DENY_INGRESS,),
        pod_end("client"),
        pod_end("agent"),
        10250,
        "allowed: no NetworkPolicy isolates either end",
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_verdict(name: str) -> None:
    case = CASES[name]
    verdict = evaluate(
        FakeStore(list(case.policies)), case.source, case.destination, case.port, case.protocol
    )
    assert verdict.reason == case.reason
    assert bool(verdict) == case.reason.startswith("allowed")


def test_which_rule_allowed_is_structured() -> None:
    verdict = evaluate(FakeStore([TEST_NETWORK_POLICY]), pod_end("grafana"), pod_end("db"), 6379)
    assert verdict.ingress.allowed_by is not None
    assert (
        verdict.ingress.allowed_by.policy,
        verdict.ingress.allowed_by.direction,
        verdict.ingress.allowed_by.index,
    ) == (
        "default/test-network-policy",
        "ingress",
        0,
    )
    assert verdict.ingress.isolating == ("default/test-network-policy",)
    assert verdict.egress.isolating == ()
    assert verdict.dropped_by == ()


class _Config:
    def __init__(self, ip: str) -> None:
        self.internal_ip = ip


class _Kubelet:
    def __init__(self, ip: str) -> None:
        self.config = _Config(ip)


class _Clock:
    now = 42.0


@dataclass(frozen=True)
class _Source:
    kind: str
    ip: str
    node: str = ""
    pod: Obj | None = None


class _Network:
    """What `traffic.Network` offers the enforcement point: the store, the kubelets (the
    nodes' addresses), the clock and the drop counters."""

    def __init__(self, policies: list[Obj]) -> None:
        self.store = FakeStore(policies)
        self.kubelets = {n: _Kubelet(ip) for n, ip in NODE_IPS.items()}
        self.clock = _Clock()
        self.policy_drops = PolicyDrops()


def test_allowed_counts_drops_against_the_refusing_sides_policies() -> None:
    network = _Network([WEB_80, WEB_443, DENY_EGRESS])
    stranger = _Source("pod", "10.244.2.4", "worker-2", PODS["stranger"])
    verdict: Verdict = allowed(network, stranger, PODS["nginx"], 80)
    assert not verdict
    # egress is refused first (default-deny-egress): the packet never meets nginx's rules
    assert verdict.dropped_by == ("default/default-deny-egress",)
    allowed(network, _Source("outside", "203.0.113.9"), PODS["nginx"], 443)
    assert network.policy_drops.counts == {
        "default/default-deny-egress": 1,
        "default/web-443": 1,
        "default/web-80": 1,
    }
    assert network.policy_drops.total == 2
    last = network.policy_drops.recent[-1]
    assert (last.at, last.source, last.destination, last.port) == (42.0, "203.0.113.9", "default/nginx", 443)
    # an allowed connection counts nothing
    assert allowed(network, _Source("node", NODE_IPS["worker-1"], "worker-1"), PODS["nginx"], 80)
    assert network.policy_drops.total == 2


def test_a_host_network_source_pod_is_its_node() -> None:
    network = _Network([DENY_INGRESS])
    agent = _Source("pod", NODE_IPS["worker-1"], "worker-1", PODS["agent"])
    assert (
        allowed(network, agent, PODS["nginx"], 80).reason
        == "allowed: traffic from the pod's own node is always allowed in"
    )
    assert not allowed(network, agent, PODS["client"], 80)  # client runs on worker-2


def test_egress_to_an_address_outside() -> None:
    network = _Network([DENY_EGRESS])
    client = _Source("pod", "10.244.2.3", "worker-2", PODS["client"])
    verdict = allowed(network, client, None, 443, ip="142.250.1.1")
    assert verdict.reason == (
        "dropped: default/client is isolated for egress by default/default-deny-egress, and no egress rule "
        "allows TCP port 443 to 142.250.1.1"
    )
