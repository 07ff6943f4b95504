"""Cluster DNS: kubeadm's CoreDNS add-on, its records as the `kubernetes` plugin answers them,
the pod's resolver (search path, ndots), the kubelet's resolv.conf and hosts files, and the
lookup tools (busybox's and bind's nslookup, getent) as `kubectl exec` runs them."""

from __future__ import annotations

from typing import Any

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.audit import User
from clusterlab.engine.network.dns import query, resolve
from clusterlab.engine.node.pod_dns_config import resolv_conf

ADMIN = User("kubernetes-admin", "kubectl")
TIMEOUT = ";; connection timed out; no servers could be reached\n\n"


def pod(name: str, image: str = "busybox:1.36", ns: str = "default", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {"containers": [{"name": "c", "image": image, "command": ["sleep", "3600"]}], **spec},
    }


def svc(name: str, ns: str = "default", **spec: Any) -> dict[str, Any]:
    spec.setdefault("ports", [{"name": "http", "port": 80}])
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": spec}


def run(c: Cluster, name: str, *argv: str, ns: str = "default") -> tuple[int, str, str]:
    r = c.server.pod_exec(ADMIN, name, ns, None, list(argv))
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def lab(cluster: Cluster) -> Cluster:
    cluster.apply(pod("bb"))
    cluster.apply(svc("web", selector={"app": "web"}))
    cluster.advance(10)
    return cluster


def test_coredns_is_installed_as_kubeadm_installs_it(cluster: Cluster) -> None:
    dep = cluster.get("deployment", "coredns", "kube-system")
    tpl = dep["spec"]["template"]["spec"]
    assert dep["spec"]["replicas"] == 2 and dep["metadata"]["labels"] == {"k8s-app": "kube-dns"}
    assert tpl["priorityClassName"] == "system-cluster-critical" and tpl["dnsPolicy"] == "Default"
    (c,) = tpl["containers"]
    assert c["image"] == "registry.k8s.io/coredns/coredns:v1.11.3"
    assert c["resources"] == {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}}
    assert (c["readinessProbe"]["httpGet"]["path"], c["readinessProbe"]["httpGet"]["port"]) == (
        "/ready",
        8181,
    )
    assert (c["livenessProbe"]["httpGet"]["path"], c["livenessProbe"]["httpGet"]["port"]) == ("/health", 8080)
    assert {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"} in tpl["tolerations"]
    service = cluster.get("service", "kube-dns", "kube-system")
    assert service["spec"]["clusterIP"] == "10.96.0.10"
    assert [(p["name"], p["port"], p["protocol"]) for p in service["spec"]["ports"]] == [
        ("dns", 53, "UDP"),
        ("dns-tcp", 53, "TCP"),
        ("metrics", 9153, "TCP"),
    ]
    assert (
        "kubernetes cluster.local in-addr.arpa ip6.arpa {"
        in cluster.get("configmap", "coredns", "kube-system")["data"]["Corefile"]
    )
    cluster.advance(10)
    ready = cluster.get("deployment", "coredns", "kube-system")["status"]
    assert ready["readyReplicas"] == 2
    # the preferred anti-affinity spreads the replicas
    nodes = {p["spec"]["nodeName"] for p in cluster.list("pods", "kube-system", "k8s-app=kube-dns")}
    assert len(nodes) == 2


def test_lookups_answer_once_the_nodes_rules_reach_a_ready_coredns(cluster: Cluster) -> None:
    cluster.apply(pod("bb"))
    answered = None
    last: tuple[int, str, str] = (0, "", "")
    while cluster.now < 5:
        cluster.advance(0.001)
        status = cluster.get("pod", "bb")["status"]
        if not (status.get("containerStatuses") or [{}])[0].get("state", {}).get("running"):
            continue
        result = run(cluster, "bb", "nslookup", "kubernetes.default.svc.cluster.local")
        if result[0] == 0:
            answered = round(cluster.now, 3)
            break
        last = result
    # before: kube-proxy on bb's node REJECTs 10.96.0.10:53 ("has no endpoints")
    assert last == (1, TIMEOUT, "nslookup: read: Connection refused\n" * 2)
    # kube-proxy started in its pod at 0.8, after the kube-dns Service's and EndpointSlice's
    # start-up churn, and its first sync takes no token: with its burst left, it programs the
    # first CoreDNS pod to turn Ready (worker-2's, at 1.802) at once.
    assert answered == 1.802
    code, out, err = run(cluster, "bb", "nslookup", "kubernetes.default.svc.cluster.local")
    assert (code, err) == (0, "")
    assert out == (
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"
        "Name:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n\n\n"
    )


def test_busybox_nslookup_ignores_ndots_but_the_resolver_searches(lab: Cluster) -> None:
    web_ip = lab.get("service", "web")["spec"]["clusterIP"]
    # a dotted name is queried as given (A, then AAAA): NXDOMAIN twice, exit 1
    assert run(lab, "bb", "nslookup", "kubernetes.default") == (
        1,
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"
        "** server can't find kubernetes.default: NXDOMAIN\n\n"
        "** server can't find kubernetes.default: NXDOMAIN\n\n",
        "",
    )
    # a dotless name: one query per search domain, A then AAAA
    code, out, _ = run(lab, "bb", "nslookup", "web")
    assert code == 1
    assert out == (
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"
        f"Name:\tweb.default.svc.cluster.local\nAddress: {web_ip}\n\n"
        "** server can't find web.svc.cluster.local: NXDOMAIN\n\n"
        "** server can't find web.cluster.local: NXDOMAIN\n\n"
        "\n"
        "** server can't find web.svc.cluster.local: NXDOMAIN\n\n"
        "** server can't find web.cluster.local: NXDOMAIN\n\n"
    )
    # getaddrinfo (wget, curl, getent) applies ndots:5: `web.default` tries the search path first
    bb = lab.get("pod", "bb")
    answer = resolve(lab.dns, bb, "web.default")
    assert (answer.status, answer.name, answer.addresses) == (
        "ok",
        "web.default.svc.cluster.local",
        (web_ip,),
    )
    assert answer.tried == ("web.default.default.svc.cluster.local", "web.default.svc.cluster.local")
    assert resolve(lab.dns, bb, "web.default.svc.cluster.local.").tried == ("web.default.svc.cluster.local",)
    nope = resolve(lab.dns, bb, "nope")
    assert nope.status == "nxdomain" and nope.tried == (
        "nope.default.svc.cluster.local",
        "nope.svc.cluster.local",
        "nope.cluster.local",
        "nope",
    )
    # from another namespace the short name is another Service's
    lab.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    lab.advance(1)  # its `default` service account
    lab.apply(pod("bb2", ns="other"))
    lab.advance(10)
    assert resolve(lab.dns, lab.get("pod", "bb2", "other"), "web").status == "nxdomain"
    assert resolve(lab.dns, lab.get("pod", "bb2", "other"), "web.default").addresses == (web_ip,)


def test_records_of_services_and_pods(lab: Cluster) -> None:
    lab.apply(svc("db", clusterIP="None", selector={"app": "bb"}))
    lab.apply(svc("ext", type="ExternalName", externalName="db.example.com", ports=[]))
    lab.advance(1)
    bb = lab.get("pod", "bb")
    ip = bb["status"]["podIP"]
    dashed = ip.replace(".", "-")
    # headless: the ready endpoints' addresses; endpoints by dashed address; SRV per named port
    assert [r.value for r in query(lab.dns, "db.default.svc.cluster.local").records] == [ip]
    assert [r.value for r in query(lab.dns, f"{dashed}.db.default.svc.cluster.local").records] == [ip]
    srv = query(lab.dns, "_http._tcp.db.default.svc.cluster.local", "SRV").records
    assert [(r.priority, r.weight, r.port, r.value) for r in srv] == [
        (0, 100, 80, f"{dashed}.db.default.svc.cluster.local")
    ]
    web_ip = lab.get("service", "web")["spec"]["clusterIP"]
    srv = query(lab.dns, "_http._tcp.web.default.svc.cluster.local", "SRV").records
    assert [(r.priority, r.weight, r.port, r.value) for r in srv] == [
        (0, 100, 80, "web.default.svc.cluster.local")
    ]
    # pods insecure: any dashed address in an existing namespace
    assert [r.value for r in query(lab.dns, f"{dashed}.default.pod.cluster.local").records] == [ip]
    assert query(lab.dns, f"{dashed}.nosuch.pod.cluster.local").rcode == "NXDOMAIN"
    # ExternalName: a CNAME; the lab's upstream knows no Internet names
    cname = query(lab.dns, "ext.default.svc.cluster.local").records
    assert [(r.type, r.value) for r in cname] == [("CNAME", "db.example.com")]
    assert run(lab, "bb", "nslookup", "ext.default.svc.cluster.local")[1].startswith(
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"
        "ext.default.svc.cluster.local\tcanonical name = db.example.com\n\n"
    )
    # reverse lookups of Service addresses; parents of records answer NODATA, others NXDOMAIN
    ptr = query(lab.dns, ".".join(reversed(web_ip.split("."))) + ".in-addr.arpa", "PTR").records
    assert [r.value for r in ptr] == ["web.default.svc.cluster.local"]
    assert query(lab.dns, "default.svc.cluster.local").rcode == "NOERROR"
    assert query(lab.dns, "nosuch.default.svc.cluster.local").rcode == "NXDOMAIN"
    assert query(lab.dns, "web.default.svc.cluster.local", "AAAA") == query(
        lab.dns, "web.default.svc.cluster.local", "AAAA"
    )
    assert query(lab.dns, "web.default.svc.cluster.local", "AAAA").records == ()


def test_a_new_service_resolves_once_corednss_watch_delivered_it(lab: Cluster) -> None:
    lab.apply(svc("late", selector={"app": "late"}))
    # written to etcd, not yet seen by CoreDNS's informer
    assert query(lab.dns, "late.default.svc.cluster.local").rcode == "NXDOMAIN"
    lab.advance(0)
    ip = lab.get("service", "late")["spec"]["clusterIP"]
    assert [r.value for r in query(lab.dns, "late.default.svc.cluster.local").records] == [ip]
    lab.delete("service", "late")
    lab.advance(0)
    assert query(lab.dns, "late.default.svc.cluster.local").rcode == "NXDOMAIN"


def test_statefulset_pods_have_stable_names_under_their_headless_service(cluster: Cluster) -> None:
    # the docs' StatefulSet basics: a headless Service and web-0, web-1 with nginx-slim
    cluster.apply(
        svc("nginx", clusterIP="None", selector={"app": "nginx"}, ports=[{"name": "web", "port": 80}])
    )
    cluster.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "web"},
            "spec": {
                "serviceName": "nginx",
                "replicas": 2,
                "selector": {"matchLabels": {"app": "nginx"}},
                "template": {
                    "metadata": {"labels": {"app": "nginx"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "nginx",
                                "image": "registry.k8s.io/nginx-slim:0.24",
                                "ports": [{"containerPort": 80, "name": "web"}],
                            }
                        ]
                    },
                },
            },
        }
    )
    cluster.apply(pod("bb"))
    cluster.advance(60)
    ips = {n: cluster.get("pod", n)["status"]["podIP"] for n in ("web-0", "web-1")}
    for name, ip in ips.items():
        records = query(cluster.dns, f"{name}.nginx.default.svc.cluster.local").records
        assert [r.value for r in records] == [ip]
    assert sorted(r.value for r in query(cluster.dns, "nginx.default.svc.cluster.local").records) == sorted(
        ips.values()
    )
    code, out, _ = run(cluster, "bb", "nslookup", "web-0.nginx.default.svc.cluster.local")
    assert code == 0 and f"Name:\tweb-0.nginx.default.svc.cluster.local\nAddress: {ips['web-0']}\n" in out
    # the kubelet's hosts file names the pod by its FQDN; its hostname is the pod's
    assert run(cluster, "web-0", "cat", "/etc/hosts")[1].endswith(
        f"{ips['web-0']}\tweb-0.nginx.default.svc.cluster.local\tweb-0\n"
    )
    assert run(cluster, "web-0", "hostname") == (0, "web-0\n", "")
    srv = query(cluster.dns, "_web._tcp.nginx.default.svc.cluster.local", "SRV").records
    assert sorted((r.weight, r.port, r.value) for r in srv) == [
        (50, 80, "web-0.nginx.default.svc.cluster.local"),
        (50, 80, "web-1.nginx.default.svc.cluster.local"),
    ]


def test_with_coredns_scaled_to_zero_lookups_time_out(lab: Cluster) -> None:
    lab.scale("deployment", "coredns", 0, "kube-system")
    lab.advance(60)
    assert lab.list("pods", "kube-system", "k8s-app=kube-dns") == []
    assert run(lab, "bb", "nslookup", "kubernetes.default.svc.cluster.local") == (
        1,
        TIMEOUT,
        "nslookup: read: Connection refused\n" * 2,
    )
    assert resolve(lab.dns, lab.get("pod", "bb"), "web").status == "unreachable"


def test_resolv_conf_follows_the_dns_policy() -> None:
    def conf(**spec: Any) -> str:
        return resolv_conf(pod("p", ns="shop", **spec)).text()

    search = "search shop.svc.cluster.local svc.cluster.local cluster.local\n"
    cluster_first = search + "nameserver 10.96.0.10\noptions ndots:5\n"
    assert conf() == cluster_first
    assert conf(dnsPolicy="ClusterFirst", hostNetwork=True) == "nameserver 172.18.0.1\n"
    assert conf(dnsPolicy="ClusterFirstWithHostNet", hostNetwork=True) == cluster_first
    assert conf(dnsPolicy="Default") == "nameserver 172.18.0.1\n"
    # the docs' dns-example: None with a dnsConfig
    assert conf(
        dnsPolicy="None",
        dnsConfig={
            "nameservers": ["192.0.2.1"],
            "searches": ["ns1.svc.cluster-domain.example", "my.dns.search.suffix"],
            "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}],
        },
    ) == (
        "search ns1.svc.cluster-domain.example my.dns.search.suffix\nnameserver 192.0.2.1\n"
        "options ndots:2 edns0\n"
    )
    assert conf(dnsConfig={"options": [{"name": "ndots", "value": "1"}], "searches": ["x.example"]}) == (
        "search shop.svc.cluster.local svc.cluster.local cluster.local x.example\nnameserver 10.96.0.10\n"
        "options ndots:1\n"
    )


def test_hosts_file_hostname_and_host_aliases(cluster: Cluster) -> None:
    cluster.apply(
        pod(
            "aliased",
            hostname="box",
            subdomain="grp",
            hostAliases=[{"ip": "127.0.0.1", "hostnames": ["foo.local", "bar.local"]}],
        )
    )
    cluster.advance(10)
    ip = cluster.get("pod", "aliased")["status"]["podIP"]
    assert run(cluster, "aliased", "cat", "/etc/hosts")[1] == (
        "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
        f"{ip}\tbox.grp.default.svc.cluster.local\tbox\n"
        "\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n"
    )
    assert run(cluster, "aliased", "hostname") == (0, "box\n", "")
    assert resolve(cluster.dns, cluster.get("pod", "aliased"), "foo.local").addresses == ("127.0.0.1",)


def test_the_docs_dnsutils_pod_uses_binds_nslookup(cluster: Cluster) -> None:
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "dnsutils", "namespace": "default"},
            "spec": {
                "containers": [
                    {
                        "name": "dnsutils",
                        "image": "registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3",
                        "command": ["sleep", "infinity"],
                        "imagePullPolicy": "IfNotPresent",
                    }
                ],
                "restartPolicy": "Always",
            },
        }
    )
    cluster.advance(60)
    assert run(cluster, "dnsutils", "nslookup", "kubernetes.default") == (
        0,
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\n"
        "Name:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n\n",
        "",
    )
    assert run(cluster, "dnsutils", "nslookup", "nosuch") == (
        1,
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\n** server can't find nosuch: NXDOMAIN\n\n",
        "",
    )
    assert run(cluster, "dnsutils", "getent", "hosts", "kubernetes.default") == (
        0,
        "10.96.0.1       kubernetes.default.svc.cluster.local\n",
        "",
    )
    assert run(cluster, "dnsutils", "cat", "/etc/resolv.conf")[1] == (
        "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\n"
        "options ndots:5\n"
    )


def test_old_busybox_nslookup_resolves_through_the_c_library(cluster: Cluster) -> None:
    cluster.apply(pod("old", image="busybox:1.28"))
    cluster.advance(10)
    assert run(cluster, "old", "nslookup", "kubernetes.default") == (
        0,
        "Server:    10.96.0.10\nAddress 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local\n\n"
        "Name:      kubernetes.default\nAddress 1: 10.96.0.1 kubernetes.default.svc.cluster.local\n",
        "",
    )
    assert run(cluster, "old", "nslookup", "nosuch")[0::2] == (1, "nslookup: can't resolve 'nosuch'\n")


def test_host_network_and_default_policy_pods_use_the_nodes_resolver(cluster: Cluster) -> None:
    cluster.apply(pod("hostnet", hostNetwork=True))
    cluster.apply(pod("plain", dnsPolicy="Default"))
    cluster.advance(10)
    node = cluster.get("pod", "hostnet")["spec"]["nodeName"]
    assert run(cluster, "hostnet", "hostname") == (0, f"{node}\n", "")
    hosts = run(cluster, "hostnet", "cat", "/etc/hosts")[1]
    assert hosts.startswith("# Kubernetes-managed hosts file (host network).\n127.0.0.1\tlocalhost\n")
    assert hosts.endswith(f"\t{node}\n")
    assert run(cluster, "plain", "cat", "/etc/resolv.conf")[1] == "nameserver 172.18.0.1\n"
    # the node's resolver is not the cluster's: it knows no Service names
    assert run(cluster, "plain", "nslookup", "kubernetes.default.svc.cluster.local") == (
        1,
        "Server:\t\t172.18.0.1\nAddress:\t172.18.0.1:53\n\n"
        "** server can't find kubernetes.default.svc.cluster.local: NXDOMAIN\n\n"
        "** server can't find kubernetes.default.svc.cluster.local: NXDOMAIN\n\n",
        "",
    )
