"""The documentation's NetworkPolicy flows on a whole cluster, through the real traffic path:
busybox's `wget` resolves the Service through CoreDNS, kube-proxy's rules DNAT it to the nginx
pod, the network plugin (Canal) judges it, and nginx answers — or the SYN is dropped and wget
gives up at its `--timeout`.

"Declare Network Policy" (tasks/administer-cluster/declare-network-policy): `kubectl create
deployment nginx --image=nginx`, `kubectl expose deployment nginx --port=80`, a busybox shell
running `wget --spider --timeout=1 nginx`, then the `access-nginx` policy
(service/networking/nginx-policy.yaml), after which only a pod labelled `access=true` gets
through. Then the concepts page's defaults (service/networking/network-policy-default-deny-
ingress.yaml, -allow-all-ingress, -default-deny-egress, -allow-all-egress).

The docs' interactive `kubectl run busybox --rm -ti --image=busybox:1.28 -- /bin/sh` is a
busybox pod whose shell waits for input; here the pods sleep and each `wget` is a `kubectl
exec` (the same process in the same network namespace).
"""

from __future__ import annotations

from clusterlab.engine import Cluster
from clusterlab.engine.audit import User
from tests.manifests import (
    DOCS_ALLOW_ALL_EGRESS,
    DOCS_ALLOW_ALL_INGRESS,
    DOCS_DEFAULT_DENY_EGRESS,
    DOCS_DEFAULT_DENY_INGRESS,
    DOCS_NGINX_POLICY,
)

ADMIN = User("kubernetes-admin", "kubectl")

# What `kubectl create deployment nginx --image=nginx` and `kubectl expose deployment nginx
# --port=80` create.
NGINX = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, labels: {app: nginx}}
spec:
  replicas: 1
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec: {containers: [{name: nginx, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: nginx, labels: {app: nginx}}
spec:
  selector: {app: nginx}
  ports: [{port: 80, protocol: TCP, targetPort: 80}]
"""
# `kubectl run busybox --image=busybox:1.28` (and `--labels="access=true"`), waiting.
BUSYBOXES = """
apiVersion: v1
kind: Pod
metadata: {name: busybox, labels: {run: busybox}}
spec: {containers: [{name: busybox, image: "busybox:1.28", command: [sleep, "3600"]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: busybox-access, labels: {access: "true"}}
spec: {containers: [{name: busybox-access, image: "busybox:1.28", command: [sleep, "3600"]}]}
"""


def wget(c: Cluster, pod: str, target: str = "nginx") -> tuple[str, int]:
    """`kubectl exec <pod> -- wget --spider --timeout=1 <target>`: (stderr, exit code)."""
    r = c.server.pod_exec(ADMIN, pod, "default", None, ["wget", "--spider", "--timeout=1", target])
    assert r.stdout == ""
    return r.stderr, r.exit_code


def fresh() -> Cluster:
    c = Cluster()
    c.apply(NGINX)
    c.apply(BUSYBOXES)
    c.advance(30)
    return c


def test_declare_network_policy_task() -> None:
    c = fresh()
    ip = c.get("service", "nginx")["spec"]["clusterIP"]
    connecting = f"Connecting to nginx ({ip}:80)\n"
    passed = (connecting + "remote file exists\n", 0)
    timed_out = (connecting + "wget: download timed out\n", 1)

    # "Test the service by accessing it from another Pod"
    assert wget(c, "busybox") == passed

    c.apply(DOCS_NGINX_POLICY)
    policy = c.get("networkpolicy", "access-nginx")
    assert policy["spec"]["policyTypes"] == ["Ingress"]  # defaulted: no egress rules

    # "Test access to the service when access label is not defined"
    assert wget(c, "busybox") == timed_out
    # "Define access label and test again"
    assert wget(c, "busybox-access") == passed

    # the drop is counted against the policy that isolated nginx, with its reason
    assert c.network_policy_drops() == {("default", "access-nginx"): 1}
    [drop] = c.recent_policy_drops()
    nginx = c.list("pods", "default", selector="app=nginx")[0]["metadata"]["name"]
    assert (drop.at, drop.source, drop.destination, drop.port) == (
        30.0,
        "default/busybox",
        f"default/{nginx}",
        80,
    )
    assert drop.reason == (
        f"dropped: default/{nginx} is isolated for ingress by default/access-nginx, and no ingress rule "
        "allows TCP port 80 from default/busybox"
    )
    # the kubelet's traffic (probes) from nginx's own node is never dropped
    assert (
        c.explain_connection("busybox-access", nginx, 80).reason
        == "allowed by default/access-nginx ingress[0]"
    )

    # relabelling the pod lets it in: policies are judged per connection, on current labels
    c.server.patch(ADMIN, "pods", "busybox", {"metadata": {"labels": {"access": "true"}}}, "default")
    assert wget(c, "busybox") == passed
    # deleting the policy opens nginx to everyone again
    c.delete("networkpolicy", "access-nginx")
    c.server.patch(ADMIN, "pods", "busybox", {"metadata": {"labels": {"access": None}}}, "default")
    assert wget(c, "busybox") == passed
    assert c.network_policy_drops() == {("default", "access-nginx"): 1}


def test_default_deny_and_allow_all_ingress() -> None:
    c = fresh()
    ip = c.get("service", "nginx")["spec"]["clusterIP"]
    connecting = f"Connecting to nginx ({ip}:80)\n"
    c.apply(DOCS_DEFAULT_DENY_INGRESS)
    assert wget(c, "busybox") == (connecting + "wget: download timed out\n", 1)
    assert wget(c, "busybox-access") == (connecting + "wget: download timed out\n", 1)
    c.apply(DOCS_ALLOW_ALL_INGRESS)
    assert wget(c, "busybox") == (connecting + "remote file exists\n", 0)
    assert c.network_policy_drops() == {("default", "default-deny-ingress"): 2}


def test_default_deny_and_allow_all_egress() -> None:
    c = fresh()
    nginx = c.list("pods", "default", selector="app=nginx")[0]
    pod_ip = nginx["status"]["podIP"]
    c.apply(DOCS_DEFAULT_DENY_EGRESS)
    # by the pod's address (no lookup): the SYN never leaves busybox's node
    assert wget(c, "busybox", pod_ip) == (
        f"Connecting to {pod_ip} ({pod_ip}:80)\nwget: download timed out\n",
        1,
    )
    verdict = c.explain_connection("busybox", nginx["metadata"]["name"], 80)
    assert verdict.reason == (
        "dropped: default/busybox is isolated for egress by default/default-deny-egress, and no egress "
        f"rule allows TCP port 80 to default/{nginx['metadata']['name']}"
    )
    c.apply(DOCS_ALLOW_ALL_EGRESS)
    assert wget(c, "busybox", pod_ip) == (f"Connecting to {pod_ip} ({pod_ip}:80)\nremote file exists\n", 0)
    assert c.network_policy_drops() == {("default", "default-deny-egress"): 1}


def test_the_pods_own_node_is_always_allowed_in() -> None:
    """Under a default deny, a connection from nginx's own node (where the kubelet's probes come
    from) passes; one from another node is dropped and times out at the kernel's SYN limit."""
    c = fresh()
    c.apply(DOCS_DEFAULT_DENY_INGRESS)
    nginx = c.list("pods", "default", selector="app=nginx")[0]
    ip, own = nginx["status"]["podIP"], nginx["spec"]["nodeName"]
    other = next(n for n in ("worker-1", "worker-2", "worker-3") if n != own)
    assert c.network.connect(c.network.node_source(own), ip, 80).error == ""
    dropped = c.network.connect(c.network.node_source(other), ip, 80)
    assert (dropped.error, dropped.seconds) == ("Connection timed out", 127.0)
    assert c.network_policy_drops() == {("default", "default-deny-ingress"): 1}


# Egress allowed to the cluster's DNS only (the usual companion of a default-deny egress policy).
ALLOW_DNS_EGRESS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-dns-egress
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
"""


def test_a_default_deny_egress_policy_also_stops_name_lookups() -> None:
    """The classic surprise: the DNS query is egress too. Under default-deny-egress busybox's
    query to CoreDNS (through kube-dns's rules) is dropped, so the lookup times out and `wget`
    never gets as far as connecting; allowing UDP 53 to the kube-dns pods brings names back,
    while port 80 to nginx stays dropped."""
    c = fresh()
    c.apply(DOCS_DEFAULT_DENY_EGRESS)
    lookup = c.server.pod_exec(ADMIN, "busybox", "default", None, ["nslookup", "nginx"])
    # busybox 1.28 (the docs' image) prints the server without its name: even that reverse
    # lookup got no answer
    assert (lookup.exit_code, lookup.stdout, lookup.stderr) == (
        1,
        "Server:    10.96.0.10\nAddress 1: 10.96.0.10\n\n",
        "nslookup: can't resolve 'nginx'\n",
    )
    # one drop for the reverse lookup of the server, one for the name
    assert c.network_policy_drops() == {("default", "default-deny-egress"): 2}
    assert wget(c, "busybox") == ("wget: bad address 'nginx'\n", 1)
    assert c.network_policy_drops() == {("default", "default-deny-egress"): 3}
    c.apply(ALLOW_DNS_EGRESS)
    svc_ip = c.get("service", "nginx")["spec"]["clusterIP"]
    lookup = c.server.pod_exec(ADMIN, "busybox", "default", None, ["nslookup", "nginx"])
    assert lookup.exit_code == 0 and f"Address 1: {svc_ip} nginx.default.svc.cluster.local" in lookup.stdout
    assert wget(c, "busybox") == (f"Connecting to nginx ({svc_ip}:80)\nwget: download timed out\n", 1)


def test_egress_rules_judge_connections_to_node_addresses() -> None:
    """A node's address is not a pod, so only the client's egress rules can stop it: under
    default-deny-egress even the API server (a host-network static pod on the control-plane
    node, behind the `kubernetes` Service) is out of reach until an ipBlock allows the node."""
    c = fresh()
    cp_ip = next(
        a["address"]
        for a in c.get("node", "control-plane")["status"]["addresses"]
        if a["type"] == "InternalIP"
    )
    busybox = c.get("pod", "busybox")
    source = c.network.pod_source(busybox)
    assert c.network.connect(source, cp_ip, 6443).error == ""
    kubernetes_ip = c.get("service", "kubernetes")["spec"]["clusterIP"]
    assert c.network.connect(source, kubernetes_ip, 443).error == ""
    c.apply(DOCS_DEFAULT_DENY_EGRESS)
    assert c.network.connect(source, cp_ip, 6443).error == "Connection timed out"
    assert c.network.connect(source, kubernetes_ip, 443).error == "Connection timed out"
    assert c.network_policy_drops() == {("default", "default-deny-egress"): 2}
    c.apply(
        f"""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: allow-apiserver}}
spec:
  podSelector: {{}}
  policyTypes: [Egress]
  egress:
  - to: [{{ipBlock: {{cidr: {cp_ip}/32}}}}]
    ports: [{{port: 6443}}]
"""
    )
    assert c.network.connect(source, cp_ip, 6443).error == ""
    assert c.network.connect(source, kubernetes_ip, 443).error == ""
    assert c.network.connect(source, cp_ip, 10250).error == "Connection timed out"
