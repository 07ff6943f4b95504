"""The docs' "StatefulSet Basics" tutorial, section "Writing to Stable Storage", as written:
the web.yaml manifest (a headless Service `nginx`, a StatefulSet `web` of two
`registry.k8s.io/nginx-slim:0.21` pods with a `www` claim template), each pod writing its
hostname into its claim's volume through `kubectl exec … sh -c 'echo "$(hostname)" > …'`,
curl answering from the volume, the pods deleted and recreated in order (OrderedReady), and
the same claims — so the same pages — mounted again. Also the tutorial's `nslookup
web-0.nginx` from a busybox:1.28 pod, and nginx-slim's own pages before anything is written."""

from __future__ import annotations

from collections.abc import Callable

import yaml

from clusterlab.engine import Cluster
from clusterlab.engine.audit import User
from clusterlab.engine.node.web_servers import NGINX_SOURCE_50X, NGINX_SOURCE_WELCOME

ADMIN = User("kubernetes-admin", "kubectl")

WEB_YAML = """
apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  ports:
  - port: 80
    name: web
  clusterIP: None
  selector:
    app: nginx
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: "nginx"
  replicas: 2
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.21
        ports:
        - containerPort: 80
          name: web
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ "ReadWriteOnce" ]
      resources:
        requests:
          storage: 1Gi
"""

#: curl's meter on stderr (kubectl exec gives it no terminal) for a local page of six bytes
METER_6 = (
    "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
    "                                 Dload  Upload   Total   Spent    Left  Speed\n"
    "\r  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0"
    "\r100     6  100     6    0     0  60000      0 --:--:-- --:--:-- --:--:-- 60000\n"
)


def run(c: Cluster, pod: str, *argv: str) -> tuple[int, str, str]:
    r = c.server.pod_exec(ADMIN, pod, "default", None, list(argv))
    return r.exit_code, r.stdout, r.stderr


def nginx_page(title: str, version: str) -> str:
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
        f"<hr><center>nginx/{version}</center>\r\n</body>\r\n</html>\r\n"
    )


def web_pods(c: Cluster) -> list[tuple[str, str, str, bool]]:
    """(name, uid, phase, ready) of the StatefulSet's pods."""
    out = []
    for p in c.list("pods", "default", selector="app=nginx"):
        conditions = p["status"].get("conditions") or ()
        ready = any(x["type"] == "Ready" and x["status"] == "True" for x in conditions)
        out.append((p["metadata"]["name"], p["metadata"]["uid"], p["status"].get("phase", ""), ready))
    return out


def timeline(c: Cluster, view: Callable[[], object], done: Callable[[], bool], limit: float) -> list:
    """(seconds since now, view) each time the view changes, until `done()`."""
    start, seen, last = c.clock.now, [], None
    while not done():
        assert c.clock.now < start + limit, "timed out"
        c.advance(0.1)
        now = view()
        if now != last:
            seen.append((round(c.clock.now - start, 1), now))
            last = now
    return seen


def test_writing_to_stable_storage_survives_the_pods(cluster: Cluster) -> None:
    for doc in yaml.safe_load_all(WEB_YAML):
        cluster.apply(doc)

    def states() -> list[tuple[str, str, bool]]:
        return [(name, phase, ready) for name, _uid, phase, ready in web_pods(cluster)]

    def all_ready() -> bool:
        pods = web_pods(cluster)
        return len(pods) == 2 and all(ready for *_, ready in pods)

    # OrderedReady: web-1 is created only once web-0 is Running and Ready; each waits for its
    # claim, which the default class provisions on the node the scheduler chose
    assert timeline(cluster, states, all_ready, 60) == [
        (0.1, [("web-0", "Pending", False)]),
        (8.2, [("web-0", "Running", True), ("web-1", "Pending", False)]),
        (13.3, [("web-0", "Running", True), ("web-1", "Running", True)]),
    ]
    claims = {c["metadata"]["name"]: c for c in cluster.list("pvc", "default")}
    assert {n: (c["status"]["phase"], c["spec"]["storageClassName"]) for n, c in claims.items()} == {
        "www-web-0": ("Bound", "standard"),
        "www-web-1": ("Bound", "standard"),
    }
    # the claim's empty volume hides nginx-slim's own pages: no index.html, autoindex off
    assert run(cluster, "web-0", "curl", "-s", "http://localhost/") == (
        0,
        nginx_page("403 Forbidden", "1.13.3"),
        "",
    )

    # for i in 0 1; do kubectl exec "web-$i" -- \
    #     sh -c 'echo "$(hostname)" > /usr/share/nginx/html/index.html'; done
    for i in (0, 1):
        script = 'echo "$(hostname)" > /usr/share/nginx/html/index.html'
        assert run(cluster, f"web-{i}", "sh", "-c", script) == (0, "", "")
    # for i in 0 1; do kubectl exec -i -t "web-$i" -- curl http://localhost/; done
    assert run(cluster, "web-0", "curl", "http://localhost/") == (0, "web-0\n", METER_6)
    assert run(cluster, "web-1", "curl", "http://localhost/") == (0, "web-1\n", METER_6)

    # kubectl delete pod -l app=nginx; the controller recreates them in order, same names
    before = {name: uid for name, uid, _, _ in web_pods(cluster)}
    addresses = {p["metadata"]["name"]: p["status"]["podIP"] for p in cluster.list("pods", "default")}
    for name in ("web-0", "web-1"):
        cluster.delete("pod", name)

    def recreated() -> list[tuple[str, bool, str, bool]]:
        return [(n, uid != before[n], phase, ready) for n, uid, phase, ready in web_pods(cluster)]

    def all_new_and_ready() -> bool:
        pods = recreated()
        return len(pods) == 2 and all(new and ready for _, new, _, ready in pods)

    # nginx exits on SIGTERM at once; web-0 comes back first (its image is on the node now),
    # web-1 only after web-0 is Ready
    assert timeline(cluster, recreated, all_new_and_ready, 60) == [
        (0.1, [("web-0", False, "Running", True), ("web-1", False, "Running", True)]),
        (0.2, [("web-0", True, "Pending", False)]),
        (1.0, [("web-0", True, "Running", True), ("web-1", True, "Pending", False)]),
        (1.8, [("web-0", True, "Running", True), ("web-1", True, "Running", True)]),
    ]
    # new pods (new addresses), the same claims: each pod's page is still its own
    pods = {p["metadata"]["name"]: p for p in cluster.list("pods", "default", selector="app=nginx")}
    assert {n: p["status"]["podIP"] != addresses[n] for n, p in pods.items()} == {
        "web-0": True,
        "web-1": True,
    }
    volumes = {n: p["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] for n, p in pods.items()}
    assert volumes == {"web-0": "www-web-0", "web-1": "www-web-1"}
    assert {c["metadata"]["name"]: c["metadata"]["uid"] for c in cluster.list("pvc", "default")} == {
        n: c["metadata"]["uid"] for n, c in claims.items()
    }
    for i in (0, 1):
        code, out, err = run(cluster, f"web-{i}", "curl", "http://localhost/")
        # the meter's speed column depends on the loopback round trip's float rounding
        assert (code, out, err.rsplit("\r", 1)[0]) == (0, f"web-{i}\n", METER_6.rsplit("\r", 1)[0])
        assert err.rsplit("\r", 1)[1].startswith("100     6  100     6    0     0  ")

    # kubectl run -i --tty --image busybox:1.28 dns-test --restart=Never --rm; nslookup web-0.nginx
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "dns-test"},
            "spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "dns-test", "image": "busybox:1.28", "command": ["sleep", "3600"]}],
            },
        }
    )
    cluster.advance(8)
    ip = pods["web-0"]["status"]["podIP"]
    assert run(cluster, "dns-test", "nslookup", "web-0.nginx") == (
        0,
        "Server:    10.96.0.10\nAddress 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local\n\n"
        f"Name:      web-0.nginx\nAddress 1: {ip} web-0.nginx.default.svc.cluster.local\n",
        "",
    )


def test_nginx_slim_serves_its_own_pages_with_its_nginx_version(cluster: Cluster) -> None:
    for name, tag in (("old", "0.8"), ("new", "0.24")):
        container = {"name": "nginx", "image": f"registry.k8s.io/nginx-slim:{tag}"}
        cluster.apply(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name},
                "spec": {"containers": [container]},
            }
        )
    cluster.advance(12)
    assert run(cluster, "old", "curl", "-s", "localhost") == (0, NGINX_SOURCE_WELCOME, "")
    assert (len(NGINX_SOURCE_WELCOME), len(NGINX_SOURCE_50X)) == (612, 537)
    assert run(cluster, "new", "curl", "-s", "localhost/50x.html") == (0, NGINX_SOURCE_50X, "")
    assert run(cluster, "old", "curl", "-s", "localhost/nope")[1] == nginx_page("404 Not Found", "1.11.2")
    assert run(cluster, "new", "curl", "-s", "localhost/nope")[1] == nginx_page("404 Not Found", "1.13.5")
    # a file written into the container's own layer is served too
    run(cluster, "new", "sh", "-c", "echo $HOSTNAME > /usr/share/nginx/html/host.txt")
    assert run(cluster, "new", "curl", "-s", "localhost/host.txt") == (0, "new\n", "")
