"""nginx and httpd serve their document root from the container's filesystem as mounted: the
image's own pages until a volume is mounted over the directory, then what the volume holds —
a page a sidecar writes into a shared emptyDir, a PersistentVolume's hostPath directory that
another pod on the node wrote, a configMap (and its update, once the kubelet has synced the
pod). A missing file is the server's own 404 page, an index-less directory nginx's 403 (httpd
lists it), and files written later are served on the next request.

The two docs tasks run as written: "Communicate Between Containers in the Same Pod Using a
Shared Volume" and "Configure a Pod to Use a PersistentVolume for Storage"."""

from __future__ import annotations

from collections.abc import Callable

import yaml

from clusterlab.engine import Cluster
from clusterlab.engine.audit import User
from clusterlab.engine.node.listeners import Answer
from clusterlab.engine.node.web_servers import NGINX_50X, NGINX_WELCOME
from tests.manifests import DOCS_TWO_CONTAINER_POD

ADMIN = User("kubernetes-admin", "kubectl")


PV_TASK = """
apiVersion: v1
kind: PersistentVolume
metadata:
  name: task-pv-volume
  labels:
    type: local
spec:
  storageClassName: manual
  capacity:
    storage: 10Gi
  accessModes:
    - ReadWriteOnce
  hostPath:
    path: "/mnt/data"
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: task-pv-claim
spec:
  storageClassName: manual
  accessModes:
    - ReadWriteOnce
  resources:
    requests:
      storage: 3Gi
---
apiVersion: v1
kind: Pod
metadata:
  name: task-pv-pod
spec:
  volumes:
    - name: task-pv-storage
      persistentVolumeClaim:
        claimName: task-pv-claim
  containers:
    - name: task-pv-container
      image: nginx
      ports:
        - containerPort: 80
          name: "http-server"
      volumeMounts:
        - mountPath: "/usr/share/nginx/html"
          name: task-pv-storage
"""


def nginx_page(title: str, version: str) -> str:
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
        f"<hr><center>nginx/{version}</center>\r\n</body>\r\n</html>\r\n"
    )


def run(c: Cluster, pod: str, *argv: str, container: str | None = None) -> tuple[int, str, str]:
    r = c.server.pod_exec(ADMIN, pod, "default", container, list(argv))
    return r.exit_code, r.stdout, r.stderr


def until(c: Cluster, done: Callable[[], bool], limit: float = 60.0) -> float:
    """Advance in 0.1 s steps until `done()`; the virtual time it first held."""
    end = c.clock.now + limit
    while not done():
        assert c.clock.now < end, "timed out"
        c.advance(0.1)
    return round(c.clock.now, 1)


def state(c: Cluster, pod: str, container: str) -> str:
    statuses = c.get("pod", pod)["status"].get("containerStatuses") or ()
    status = next((s for s in statuses if s["name"] == container), {})
    return next(iter(status.get("state") or {"waiting": {}}))


HTDOCS = "/usr/local/apache2/htdocs"


def listing(title: str, items: str) -> str:
    """mod_autoindex's plain listing page."""
    return (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<html>\n <head>\n'
        f"  <title>Index of {title}</title>\n </head>\n <body>\n<h1>Index of {title}</h1>\n"
        f"<ul>{items}</ul>\n</body></html>\n"
    )


def pod(name: str, spec: dict) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def web(name: str, image: str, mounts: list[dict], volumes: list[dict], **spec: object) -> dict:
    container = {"name": "web", "image": image, "volumeMounts": mounts}
    return pod(name, {"containers": [container], "volumes": volumes, **spec})


def test_shared_volume_task_serves_what_the_debian_container_wrote(cluster: Cluster) -> None:
    cluster.apply(yaml.safe_load(DOCS_TWO_CONTAINER_POD))
    # nginx starts first, on the empty emptyDir; debian's image is pulled after nginx's, and
    # its shell writes the page and exits: the kubelet reports both in one status update (seed 7:
    # on worker-1, nginx's pull takes 2.863 s, debian's 2.176 s; debian's shell starts at 6.139 s)
    done = until(cluster, lambda: state(cluster, "two-containers", "debian-container") == "terminated")
    assert (done, state(cluster, "two-containers", "nginx-container")) == (6.2, "running")
    events = [
        (e["reason"], e["involvedObject"].get("fieldPath", ""), e["firstTimestamp"][11:19])
        for e in cluster.server.store.iter("events")
        if e["involvedObject"]["name"] == "two-containers" and e["reason"] in ("Started", "Pulled")
    ]
    assert events == [
        ("Pulled", "spec.containers{nginx-container}", "09:00:03"),
        ("Started", "spec.containers{nginx-container}", "09:00:03"),
        ("Pulled", "spec.containers{debian-container}", "09:00:05"),
        ("Started", "spec.containers{debian-container}", "09:00:06"),
    ]
    statuses = cluster.get("pod", "two-containers")["status"]["containerStatuses"]
    debian = next(s for s in statuses if s["name"] == "debian-container")
    assert (debian["state"]["terminated"]["reason"], debian["state"]["terminated"]["exitCode"]) == (
        "Completed",
        0,
    )
    assert cluster.get("pod", "two-containers")["status"]["phase"] == "Running"
    assert run(cluster, "two-containers", "curl", "-s", "localhost", container="nginx-container") == (
        0,
        "Hello from the debian container\n",
        "",
    )
    # the page is in the shared volume, under each container's own mount point
    assert run(
        cluster, "two-containers", "cat", "/usr/share/nginx/html/index.html", container="nginx-container"
    )[1] == ("Hello from the debian container\n")


def test_persistent_volume_task_serves_the_nodes_mnt_data(cluster: Cluster) -> None:
    for doc in yaml.safe_load_all(PV_TASK):
        cluster.apply(doc)
    assert (
        until(cluster, lambda: cluster.get("pod", "task-pv-pod")["status"].get("phase") == "Running") == 5.5
    )
    assert cluster.get("pvc", "task-pv-claim")["spec"]["volumeName"] == "task-pv-volume"
    # /mnt/data on the node is empty: nginx finds no index.html there
    assert run(cluster, "task-pv-pod", "curl", "http://localhost/")[1] == nginx_page(
        "403 Forbidden", "1.29.3"
    )
    # The docs write the page on the node itself (ssh, `sudo sh -c "echo … > /mnt/data/index.html"`);
    # inside the cluster the same is a pod on that node with the node's /mnt/data mounted.
    node = cluster.get("pod", "task-pv-pod")["spec"]["nodeName"]
    writer = {
        "name": "w",
        "image": "busybox:1.37",
        "command": ["sh", "-c", "echo 'Hello from Kubernetes storage' > /mnt/data/index.html"],
        "volumeMounts": [{"name": "host", "mountPath": "/mnt/data"}],
    }
    cluster.apply(
        pod(
            "writer",
            {
                "nodeName": node,
                "restartPolicy": "Never",
                "containers": [writer],
                "volumes": [{"name": "host", "hostPath": {"path": "/mnt/data"}}],
            },
        )
    )
    assert until(cluster, lambda: cluster.get("pod", "writer")["status"].get("phase") == "Succeeded") == 6.7
    code, out, err = run(cluster, "task-pv-pod", "curl", "http://localhost/")
    assert (code, out) == (0, "Hello from Kubernetes storage\n")
    assert err.endswith("\r100    30  100    30    0     0   293k      0 --:--:-- --:--:-- --:--:--  293k\n")
    # the file is the node's: it outlives the pod and the claim, and a new pod on it serves it
    cluster.delete("pod", "task-pv-pod")
    cluster.advance(40)
    cluster.apply(
        web(
            "again",
            "nginx:1.27",
            [{"name": "d", "mountPath": "/usr/share/nginx/html"}],
            [{"name": "d", "hostPath": {"path": "/mnt/data"}}],
            nodeName=node,
        )
    )
    cluster.advance(5)
    assert run(cluster, "again", "curl", "-s", "http://localhost/") == (
        0,
        "Hello from Kubernetes storage\n",
        "",
    )


def test_the_image_pages_their_errors_and_files_written_later(cluster: Cluster) -> None:
    cluster.apply(web("plain", "nginx:1.27", [], []))
    cluster.apply(
        pod("client", {"containers": [{"name": "c", "image": "busybox:1.37", "args": ["sleep", "3600"]}]})
    )
    cluster.advance(10)
    ip = cluster.get("pod", "plain")["status"]["podIP"]
    assert run(cluster, "client", "wget", "-qO-", f"http://{ip}/") == (0, NGINX_WELCOME, "")
    assert run(cluster, "client", "wget", "-qO-", f"http://{ip}/50x.html") == (0, NGINX_50X, "")
    assert run(cluster, "plain", "curl", "-s", "localhost/nope") == (
        0,
        nginx_page("404 Not Found", "1.27.5"),
        "",
    )
    assert run(cluster, "client", "wget", "-qO-", f"http://{ip}/nope") == (
        1,
        "",
        "wget: server returned error: HTTP/1.1 404 Not Found\n",
    )
    # a page written into the container's own layer later is served on the next request
    run(cluster, "plain", "sh", "-c", "echo fresh > /usr/share/nginx/html/docs/page.html")
    assert run(cluster, "client", "wget", "-qO-", f"http://{ip}/docs/page.html") == (0, "fresh\n", "")
    # a directory without an index: 403; without the slash, nginx redirects to it
    assert run(cluster, "plain", "curl", "-s", "localhost/docs/") == (
        0,
        nginx_page("403 Forbidden", "1.27.5"),
        "",
    )
    assert run(cluster, "plain", "curl", "-sf", "localhost/docs/")[0] == 22
    assert run(cluster, "plain", "curl", "-s", "localhost/docs")[1] == nginx_page(
        "301 Moved Permanently", "1.27.5"
    )
    run(cluster, "plain", "sh", "-c", "echo home > /usr/share/nginx/html/index.html")
    assert run(cluster, "plain", "curl", "-s", "localhost/")[1] == "home\n"
    assert run(cluster, "plain", "curl", "-s", "localhost/./docs/../index.html?x=1")[1] == "home\n"


def test_a_config_map_over_the_root_hides_the_image_pages_and_follows_updates(cluster: Cluster) -> None:
    page = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "page"},
        "data": {"index.html": "v1\n"},
    }
    cluster.apply(page)
    volume = [{"name": "page", "configMap": {"name": "page"}}]
    cluster.apply(web("site", "nginx:1.27", [{"name": "page", "mountPath": "/usr/share/nginx/html"}], volume))
    # a subPath mount replaces index.html alone: the image's 50x.html is still there
    one_file = [{"name": "page", "mountPath": "/usr/share/nginx/html/index.html", "subPath": "index.html"}]
    cluster.apply(web("one", "nginx:1.27", one_file, volume))
    cluster.advance(10)
    assert run(cluster, "site", "curl", "-s", "localhost") == (0, "v1\n", "")
    assert run(cluster, "site", "curl", "-s", "localhost/50x.html")[1] == nginx_page(
        "404 Not Found", "1.27.5"
    )
    assert run(cluster, "one", "curl", "-s", "localhost") == (0, "v1\n", "")
    assert run(cluster, "one", "curl", "-s", "localhost/50x.html") == (0, NGINX_50X, "")
    updated = cluster.clock.now
    cluster.apply({**page, "data": {"index.html": "v2\n"}})
    # the kubelet rewrites the volume at the pod's next periodic sync (every 60–90 s; seed 7:
    # the first after the mount is at 77.352 s)
    served = until(cluster, lambda: run(cluster, "site", "curl", "-s", "localhost")[1] == "v2\n", 100)
    assert round(served - updated, 1) == 67.4
    # a subPath mount is never updated: it was bound to the file as it was
    cluster.advance(60)
    assert run(cluster, "one", "curl", "-s", "localhost")[1] == "v1\n"
    assert run(cluster, "one", "cat", "/usr/share/nginx/html/index.html")[1] == "v1\n"


def test_httpd_serves_htdocs_lists_directories_and_says_not_found(cluster: Cluster) -> None:
    cluster.apply(web("apache", "httpd:2.4", [], []))
    mounts = [{"name": "d", "mountPath": HTDOCS}]
    cluster.apply(web("shared", "httpd:2.4", mounts, [{"name": "d", "emptyDir": {}}]))
    cluster.apply(
        pod("client", {"containers": [{"name": "c", "image": "busybox:1.37", "args": ["sleep", "3600"]}]})
    )
    cluster.advance(10)
    apache, shared = (cluster.get("pod", n)["status"]["podIP"] for n in ("apache", "shared"))

    def get(ip: str, path: str) -> tuple[int, str, str]:
        return run(cluster, "client", "wget", "-qO-", f"http://{ip}{path}")

    assert get(apache, "/") == (0, "<html><body><h1>It works!</h1></body></html>\n", "")
    assert get(apache, "/missing.html") == (1, "", "wget: server returned error: HTTP/1.1 404 Not Found\n")
    # the body wget does not show: Apache's canned document, without a signature line
    client = cluster.network.pod_source(cluster.get("pod", "client"))
    assert cluster.network.request(client, apache, 80, "/missing.html").answer == Answer(
        404,
        '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>\n'
        "</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n"
        "</body></html>\n",
    )
    # the emptyDir hides the image's page; mod_autoindex lists the (empty) directory
    assert get(shared, "/") == (0, listing("/", ""), "")
    run(cluster, "shared", "sh", "-c", f"echo a > {HTDOCS}/a.txt; echo b > {HTDOCS}/sub/b.txt")
    entries = '<li><a href="a.txt"> a.txt</a></li>\n<li><a href="sub/"> sub/</a></li>\n'
    assert get(shared, "/")[1] == listing("/", entries)
    parent = '<li><a href="/"> Parent Directory</a></li>\n'
    assert get(shared, "/sub/")[1] == listing("/sub", parent + '<li><a href="b.txt"> b.txt</a></li>\n')
    assert run(cluster, "client", "sh", "-c", f"wget -qO- http://{shared}/index.html || true")[2] == (
        "wget: server returned error: HTTP/1.1 404 Not Found\n"
    )
    run(cluster, "shared", "sh", "-c", f"echo index > {HTDOCS}/index.html")
    assert get(shared, "/") == (0, "index\n", "")


def test_a_readiness_probe_on_an_empty_root_fails_with_403(cluster: Cluster) -> None:
    probe = {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5}
    spec = web(
        "probed",
        "nginx:1.27",
        [{"name": "d", "mountPath": "/usr/share/nginx/html"}],
        [{"name": "d", "emptyDir": {}}],
    )
    spec["spec"]["containers"][0]["readinessProbe"] = probe
    cluster.apply(spec)
    cluster.advance(12)
    status = cluster.get("pod", "probed")["status"]["containerStatuses"][0]
    assert (status["state"].get("running") is not None, status["ready"]) == (True, False)
    events = [e["message"] for e in cluster.server.store.iter("events") if e["reason"] == "Unhealthy"]
    assert "Readiness probe failed: HTTP probe failed with statuscode: 403" in events
    run(cluster, "probed", "sh", "-c", "echo ok > /usr/share/nginx/html/index.html")
    ready = until(
        cluster, lambda: cluster.get("pod", "probed")["status"]["containerStatuses"][0]["ready"], 10
    )
    # the next probe after the write, on its 5 s period (seed 7: the worker's ticks, jittered
    # because the kubelet had just started, fall at 4.94 s, 9.94 s and 14.94 s)
    assert ready == 15.0
