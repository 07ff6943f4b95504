"""The console against the lab's own API with a StatefulSet: `apply`, `get sts`, `get all`,
`scale`, `describe`, and a force-deleted pod that comes back under the same name."""

from __future__ import annotations

import re

from clusterlab.engine import Cluster
from clusterlab.kubectl import run
from tests.manifests import DOCS_NGINX_HEADLESS_SERVICE

WEB = (
    DOCS_NGINX_HEADLESS_SERVICE
    + """---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: nginx
  replicas: 2
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec: {containers: [{name: nginx, image: nginx:1.27}]}
"""
)


def test_statefulset_in_the_console(live_transport, live_cluster: Cluster) -> None:
    c = live_cluster
    r = run("kubectl apply -f -", live_transport, stdin=WEB)
    assert r.stdout == "service/nginx created\nstatefulset.apps/web created\n"
    c.advance(30)
    lines = run("kubectl get sts", live_transport).stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [["NAME", "READY"], ["web", "2/2"]]
    everything = run("kubectl get all", live_transport).stdout
    assert "statefulset.apps/web   2/2" in everything
    assert "pod/web-0 " in everything and "pod/web-1 " in everything
    assert run("kubectl scale sts web --replicas=3", live_transport).stdout == "statefulset.apps/web scaled\n"
    c.advance(30)
    text = run("kubectl describe sts web", live_transport).stdout
    assert "Replicas:           3 desired | 3 total\n" in text
    assert "Update Strategy:    RollingUpdate\n  Partition:        0\n" in text
    assert "Pods Status:        3 Running / 0 Waiting / 0 Succeeded / 0 Failed\n" in text
    assert re.search(r"^Volume Claims: +<none>$", text, re.M)
    assert "create Pod web-2 in StatefulSet web successful" in text
    uid = c.get("pod", "web-1")["metadata"]["uid"]
    r = run("kubectl delete pod web-1 --force --grace-period=0", live_transport)
    assert r.stdout == 'pod "web-1" force deleted\n'
    c.advance(1)
    assert c.get("pod", "web-1")["metadata"]["uid"] != uid
