"""Request construction only (RecordingTransport with canned answers shaped like the API's).

These say nothing about end-to-end behaviour; they pin what the console sends where the
real kubectl could not be run side by side.
"""

import json

from clusterlab.kubectl import run
from clusterlab.kubectl.transport import Response

from .fakeapi import discovery
from .recording import RecordingTransport

AGG = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def _transport(*answers: Response) -> RecordingTransport:
    return RecordingTransport(
        [
            Response(200, AGG, json.dumps(discovery([""])).encode()),
            Response(200, AGG, json.dumps(discovery(["apps", "coordination.k8s.io"])).encode()),
            *answers,
        ]
    )


def test_discovery_asks_for_aggregated_discovery_first() -> None:
    t = _transport(Response(200, "application/json", b'{"kind":"PodList","items":[]}'))
    run("kubectl get pods -o name", t)
    assert [(r.method, r.path, r.query) for r in t.requests[:2]] == [
        ("GET", "/api", {"timeout": "32s"}),
        ("GET", "/apis", {"timeout": "32s"}),
    ]
    assert t.requests[0].accept.startswith(
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    )
    assert (t.requests[2].path, t.requests[2].query) == ("/api/v1/namespaces/default/pods", {"limit": "500"})


def test_delete_with_selector_lists_then_deletes_each_in_background() -> None:
    pods = {"kind": "PodList", "items": [{"metadata": {"name": "a", "namespace": "dev"}}]}
    t = _transport(Response(200, "application/json", json.dumps(pods).encode()), Response(200, body=b"{}"))
    r = run("kubectl delete pods -l app=web -n dev --grace-period=0 --force", t)
    assert r.stdout == 'pod "a" force deleted\n'  # what kubectl 1.32 prints for a zero grace period
    assert r.stderr.startswith("Warning: Immediate deletion does not wait")
    listing, deletion = t.requests[2], t.requests[3]
    assert (listing.path, listing.query) == (
        "/api/v1/namespaces/dev/pods",
        {"limit": "500", "labelSelector": "app=web"},
    )
    assert (deletion.method, deletion.path) == ("DELETE", "/api/v1/namespaces/dev/pods/a")
    assert deletion.json() == {"propagationPolicy": "Background", "gracePeriodSeconds": 0}


V1_RESOURCES = {
    "kind": "APIResourceList",
    "groupVersion": "v1",
    "resources": [
        {"name": "pods", "namespaced": True, "kind": "Pod", "verbs": ["get"]},
        {"name": "pods/eviction", "namespaced": True, "group": "policy", "version": "v1", "kind": "Eviction"},
    ],
}


def test_drain_evicts_through_the_eviction_subresource() -> None:
    node = {"metadata": {"name": "worker-1"}, "spec": {}}
    pod = {
        "metadata": {
            "name": "web-1",
            "namespace": "default",
            "ownerReferences": [{"kind": "ReplicaSet", "controller": True}],
        },
        "spec": {"nodeName": "worker-1"},
        "status": {"phase": "Running"},
    }
    t = _transport(
        Response(200, body=json.dumps(node).encode()),
        Response(200, body=json.dumps(node).encode()),
        Response(200, body=json.dumps({"items": [pod]}).encode()),
        # CheckEvictionSupport: the core group's resource list names pods/eviction
        Response(200, body=json.dumps(V1_RESOURCES).encode()),
        Response(201, body=b"{}"),
    )
    r = run("kubectl drain worker-1", t)
    # kubectl 1.32 says `evicting pod` on stdout, before each attempt
    assert r.stdout == (
        "node/worker-1 cordoned\nevicting pod default/web-1\npod/web-1 evicted\nnode/worker-1 drained\n"
    )
    assert r.stderr == ""
    assert (t.requests[-2].method, t.requests[-2].path) == ("GET", "/api/v1")
    eviction = t.requests[-1]
    assert (eviction.method, eviction.path) == ("POST", "/api/v1/namespaces/default/pods/web-1/eviction")
    assert eviction.json() == {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": "web-1", "namespace": "default"},
    }
