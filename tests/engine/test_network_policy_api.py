"""NetworkPolicy in the API server: defaulting (policyTypes inferred, port protocol TCP, the
empty podSelector), validation worded as Kubernetes 1.32's `ValidateNetworkPolicySpec`, and
the NAME / POD-SELECTOR / AGE table."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.errors import ApiError
from clusterlab.engine.tables import to_table

Obj = dict[str, Any]


def netpol(name: str, spec: Obj) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name},
        "spec": spec,
    }


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return Cluster()


@pytest.mark.parametrize(
    ("spec", "stored"),
    [
        # Ingress is always implied; the docs' access-nginx policy
        (
            {"podSelector": {"matchLabels": {"app": "nginx"}}, "ingress": [{"from": [{"podSelector": {}}]}]},
            {
                "podSelector": {"matchLabels": {"app": "nginx"}},
                "ingress": [{"from": [{"podSelector": {}}]}],
                "policyTypes": ["Ingress"],
            },
        ),
        # Egress too when there are egress rules; ports get TCP
        (
            {"podSelector": {}, "egress": [{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53}]}]},
            {
                "podSelector": {},
                "egress": [{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}],
                "policyTypes": ["Ingress", "Egress"],
            },
        ),
        # an explicit list is kept as written
        ({"podSelector": {}, "policyTypes": ["Egress"]}, {"podSelector": {}, "policyTypes": ["Egress"]}),
        # no podSelector at all: stored as the empty one
        ({}, {"podSelector": {}, "policyTypes": ["Ingress"]}),
    ],
)
def test_defaulting(cluster: Cluster, spec: Obj, stored: Obj) -> None:
    name = f"defaults-{len(cluster.list('networkpolicies'))}"
    created = cluster.server.create(cluster.learner, netpol(name, spec), "default")
    assert created["spec"] == stored
    assert "status" not in created


INVALID = [
    (
        {
            "podSelector": {},
            "ingress": [{"ports": [{"port": 0}, {"port": 8080, "endPort": 80}, {"port": 70000}]}],
        },
        [
            ("spec.ingress[0].ports[0].port", "Invalid value: 0: must be between 1 and 65535, inclusive"),
            (
                "spec.ingress[0].ports[1].endPort",
                "Invalid value: 80: must be greater than or equal to `port`",
            ),
            ("spec.ingress[0].ports[2].port", "Invalid value: 70000: must be between 1 and 65535, inclusive"),
        ],
    ),
    (
        {
            "podSelector": {},
            "egress": [
                {
                    "ports": [
                        {"port": "http", "endPort": 90},
                        {"endPort": 90},
                        {"port": "Web--", "protocol": "ICMP"},
                    ]
                }
            ],
        },
        [
            (
                "spec.egress[0].ports[0].endPort",
                "Invalid value: 90: may not be specified when `port` is non-numeric",
            ),
            (
                "spec.egress[0].ports[1].endPort",
                "Invalid value: 90: may not be specified when `port` is not specified",
            ),
            (
                "spec.egress[0].ports[2].protocol",
                'Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
            ),
            (
                "spec.egress[0].ports[2].port",
                'Invalid value: "Web--": must contain only alpha-numeric characters (a-z, 0-9), '
                "and hyphens (-)",
            ),
            (
                "spec.egress[0].ports[2].port",
                'Invalid value: "Web--": must not contain consecutive hyphens (-)',
            ),
            (
                "spec.egress[0].ports[2].port",
                'Invalid value: "Web--": must not begin or end with a hyphen (-)',
            ),
        ],
    ),
    (
        {
            "podSelector": {},
            "ingress": [
                {
                    "from": [
                        {},
                        {"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}},
                        {"ipBlock": {"cidr": "10.0.0.0"}},
                        {
                            "ipBlock": {
                                "cidr": "10.0.0.0/8",
                                "except": ["10.0.0.0/8", "11.0.0.0/16", "bad", "10.1.0.0/16"],
                            }
                        },
                    ]
                }
            ],
        },
        [
            ("spec.ingress[0].from[0]", "Required value: must specify a peer"),
            ("spec.ingress[0].from[1]", "Forbidden: may not specify both ipBlock and another peer"),
            ("spec.ingress[0].from[2].ipBlock.cidr", 'Invalid value: "10.0.0.0": not a valid CIDR'),
            (
                "spec.ingress[0].from[3].ipBlock.except[0]",
                'Invalid value: "10.0.0.0/8": must be a strict subset of `cidr`',
            ),
            (
                "spec.ingress[0].from[3].ipBlock.except[1]",
                'Invalid value: "11.0.0.0/16": must be a strict subset of `cidr`',
            ),
            # the first unparsable entry ends the checks of the block (ValidateIPBlock returns)
            ("spec.ingress[0].from[3].ipBlock.except[2]", 'Invalid value: "bad": not a valid CIDR'),
        ],
    ),
    (
        {
            "podSelector": {"matchExpressions": [{"key": "tier", "operator": "In"}]},
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchExpressions": [{"key": "team", "operator": "Exists", "values": ["a"]}]
                            },
                            "podSelector": {
                                "matchExpressions": [{"key": "app", "operator": "Equals", "values": ["x"]}]
                            },
                        }
                    ]
                }
            ],
            "policyTypes": ["Ingress", "Sideways"],
        },
        [
            (
                "spec.podSelector.matchExpressions[0].values",
                "Required value: must be specified when `operator` is 'In' or 'NotIn'",
            ),
            (
                "spec.ingress[0].from[0].podSelector.matchExpressions[0].operator",
                'Invalid value: "Equals": not a valid selector operator',
            ),
            (
                "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values",
                "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
            ("spec.policyTypes[1]", 'Unsupported value: "Sideways": supported values: "Ingress", "Egress"'),
        ],
    ),
    (
        {"podSelector": {}, "policyTypes": ["Ingress", "Egress", "Ingress"]},
        [
            (
                "spec.policyTypes",
                'Invalid value: []networking.PolicyType{"Ingress", "Egress", "Ingress"}: '
                "may not specify more than two policyTypes",
            )
        ],
    ),
]


@pytest.mark.parametrize(("spec", "causes"), INVALID)
def test_validation(cluster: Cluster, spec: Obj, causes: list[tuple[str, str]]) -> None:
    with pytest.raises(ApiError) as err:
        cluster.server.create(cluster.learner, netpol("bad", spec), "default")
    assert err.value.code == 422
    got = [(c["field"], c["message"]) for c in err.value.details["causes"]]
    assert sorted(got) == sorted(causes)


def test_table() -> None:
    c = Cluster()
    c.apply(
        [
            netpol("access-nginx", {"podSelector": {"matchLabels": {"app": "nginx"}}}),
            netpol("default-deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
            netpol(
                "tiers",
                {
                    "podSelector": {
                        "matchExpressions": [
                            {"key": "tier", "operator": "NotIn", "values": ["web", "db"]},
                            {"key": "app", "operator": "DoesNotExist"},
                        ]
                    }
                },
            ),
        ]
    )
    c.advance(125)
    table = to_table("networkpolicies", c.list("networkpolicies"), now=c.now, epoch=c.epoch)
    assert [col["name"] for col in table["columnDefinitions"]] == ["Name", "Pod-Selector", "Age"]
    assert [row["cells"] for row in table["rows"]] == [
        ["access-nginx", "app=nginx", "2m5s"],
        ["default-deny-all", "<none>", "2m5s"],
        ["tiers", "!app,tier notin (db,web)", "2m5s"],
    ]
