"""Tab completion: verbs, flags, resource types from discovery, names listed through the API."""

from clusterlab.kubectl import complete

from .fakeapi import CannedAPI


def c(line: str, api: CannedAPI) -> list[str]:
    return complete(line, len(line), api)


def test_completion(canned: CannedAPI) -> None:
    assert c("kubectl g", canned) == ["get"]
    assert c("kubectl get po", canned) == ["po", "pod", "pods"]
    assert c("kubectl get pods w", canned) == sorted(
        o["metadata"]["name"]
        for o in canned.objects
        if o["kind"] == "Pod" and o["metadata"]["namespace"] == "default"
    )
    assert c("kubectl get pods -n kube-", canned) == ["kube-node-lease", "kube-public", "kube-system"]
    assert c("kubectl get pods --show-l", canned) == ["--show-labels"]
    assert c("kubectl cordon worker-", canned) == ["worker-1", "worker-2", "worker-3"]
    assert c("kubectl get deploy/", canned) == ["deploy/web"]
    assert c("kubectl create d", canned) == ["deployment"]
    assert c("kubectl get pods -o y", canned) == ["yaml"]
    assert c("kubectl get widgets x", canned) == []
