"""Real kubectl against a lab's API on a live daphne server, with a kubeconfig from
`manage.py kubeconfig` and a fresh cache dir per run: what it prints must read as it would
against a real cluster."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime

import pytest
import yaml

from tests.kubeapi.kubectl_cli import WEB, Kubectl, columns, kubectl_for_new_lab, wait_for
from tests.live_server import LiveServer

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


@pytest.fixture(scope="module")
def kubectl(live_server_process: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    yield kubectl_for_new_lab(live_server_process, tmp_path_factory, "kubectl-user")


def test_version_picks_1_32(kubectl: Kubectl) -> None:
    out = kubectl.out("version")
    assert "Server Version: v1.32.0" in out


def test_get_nodes_in_every_output(kubectl: Kubectl) -> None:
    table = columns(kubectl.out("get", "nodes"))
    assert table[0] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert [row[0] for row in table[1:]] == ["control-plane", "worker-1", "worker-2", "worker-3"]
    assert table[1][1:3] == ["Ready", "control-plane"] and table[2][1:3] == ["Ready", "<none>"]
    assert table[1][-1] == "v1.32.0"
    wide = kubectl.out("get", "nodes", "-o", "wide").splitlines()[0].split()
    assert wide[:7] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP"]
    as_json = json.loads(kubectl.out("get", "nodes", "-o", "json"))
    assert as_json["kind"] == "List" and len(as_json["items"]) == 4
    assert as_json["items"][0]["status"]["nodeInfo"]["kubeletVersion"] == "v1.32.0"
    as_yaml = yaml.safe_load(kubectl.out("get", "node", "worker-1", "-o", "yaml"))
    assert as_yaml["kind"] == "Node" and as_yaml["metadata"]["name"] == "worker-1"
    assert kubectl.out("get", "nodes", "-o", "name").split() == [
        "node/control-plane",
        "node/worker-1",
        "node/worker-2",
        "node/worker-3",
    ]


def test_client_side_apply_create_change_unchanged(kubectl: Kubectl) -> None:
    path = kubectl.manifest("web", replicas=2)
    assert kubectl.out("apply", "-f", str(path)).strip() == "deployment.apps/web created"
    path = kubectl.manifest("web", replicas=3, image="nginx:1.28")
    assert kubectl.out("apply", "-f", str(path)).strip() == "deployment.apps/web configured"
    assert kubectl.out("apply", "-f", str(path)).strip() == "deployment.apps/web unchanged"
    live = json.loads(kubectl.out("get", "deploy", "web", "-o", "json"))
    container = live["spec"]["template"]["spec"]["containers"][0]
    assert live["spec"]["replicas"] == 3 and container["image"] == "nginx:1.28"
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]  # merged by name, not replaced
    table = columns(kubectl.out("get", "deploy"))
    assert table[0] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    wait_for(lambda: "web-" in kubectl.out("get", "pods"))
    pods = columns(kubectl.out("get", "pods", "-l", "app=web"))
    assert pods[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert all(row[0].startswith("web-") for row in pods[1:])
    wide = kubectl.out("get", "pods", "-o", "wide").splitlines()[0].split()
    assert wide[5:8] == ["IP", "NODE", "NOMINATED"]


def test_server_side_apply(kubectl: Kubectl) -> None:
    path = kubectl.manifest("ssa", replicas=1)
    assert (
        kubectl.out("apply", "--server-side", "-f", str(path)).strip()
        == "deployment.apps/ssa serverside-applied"
    )
    path = kubectl.manifest("ssa", replicas=2)
    assert (
        kubectl.out("apply", "--server-side", "-f", str(path)).strip()
        == "deployment.apps/ssa serverside-applied"
    )
    assert kubectl.out("get", "deploy", "ssa", "-o", "jsonpath={.spec.replicas}") == "2"


def test_create_scale_delete(kubectl: Kubectl) -> None:
    path = kubectl.manifest("made", replicas=1)
    assert kubectl.out("create", "-f", str(path)).strip() == "deployment.apps/made created"
    again = kubectl("create", "-f", str(path), ok=False)
    assert again.returncode == 1
    assert "Error from server (AlreadyExists): error when creating" in again.stderr
    assert 'deployments.apps "made" already exists' in again.stderr
    assert kubectl.out("scale", "deployment", "made", "--replicas=4").strip() == "deployment.apps/made scaled"
    assert kubectl.out("get", "deploy", "made", "-o", "jsonpath={.spec.replicas}") == "4"
    assert kubectl.out("delete", "deployment", "made").strip() == 'deployment.apps "made" deleted'
    missing = kubectl("get", "deploy", "made", ok=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'Error from server (NotFound): deployments.apps "made" not found'


def test_run_label_annotate_describe_logs_delete(kubectl: Kubectl) -> None:
    assert kubectl.out("run", "solo", "--image=nginx:1.27").strip() == "pod/solo created"
    assert kubectl.out("label", "pod", "solo", "tier=demo").strip() == "pod/solo labeled"
    assert kubectl.out("annotate", "pod", "solo", "note=hello").strip() == "pod/solo annotated"
    assert "tier=demo" in kubectl.out("get", "pod", "solo", "--show-labels")
    wait_for(lambda: kubectl.out("get", "pod", "solo", "-o", "jsonpath={.status.phase}") == "Running")
    described = kubectl.out("describe", "pod", "solo")
    assert "Name:             solo" in described and "Status:           Running" in described
    assert "Service Account:  default" in described  # ServiceAccount admission named the account
    assert "/var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-" in described
    assert "note: hello" in described
    assert "Scheduled" in described  # the pod's events
    kubectl.out("logs", "solo")
    assert kubectl.out("delete", "pod", "solo").strip() == 'pod "solo" deleted'
    assert kubectl("get", "pod", "solo", ok=False).returncode == 1


def test_cordon_and_uncordon(kubectl: Kubectl) -> None:
    assert kubectl.out("cordon", "worker-3").strip() == "node/worker-3 cordoned"
    row = next(r for r in columns(kubectl.out("get", "nodes")) if r[0] == "worker-3")
    assert row[1] == "Ready,SchedulingDisabled"
    assert kubectl.out("uncordon", "worker-3").strip() == "node/worker-3 uncordoned"
    row = next(r for r in columns(kubectl.out("get", "nodes")) if r[0] == "worker-3")
    assert row[1] == "Ready"


def test_get_watch_prints_changes(kubectl: Kubectl) -> None:
    watcher = subprocess.Popen(
        kubectl.argv("get", "deployments", "-w"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=kubectl.env(),
    )
    try:
        assert watcher.stdout is not None
        header = watcher.stdout.readline().split()
        assert header == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
        path = kubectl.manifest("watched", replicas=1)
        kubectl.out("apply", "-f", str(path))
        deadline = time.monotonic() + 30
        while True:
            assert time.monotonic() < deadline, "no watch line for the new deployment"
            line = watcher.stdout.readline()
            if line.startswith("watched "):
                break
        assert line.split()[1].endswith("/1")
    finally:
        watcher.kill()
        watcher.wait(timeout=10)


def test_typed_commands_that_send_protobuf(kubectl: Kubectl) -> None:
    created = kubectl.out("create", "deployment", "typed", "--image=nginx:1.27", "--replicas=2", "--port=80")
    assert created.strip() == "deployment.apps/typed created"
    live = json.loads(kubectl.out("get", "deploy", "typed", "-o", "json"))
    assert live["spec"]["replicas"] == 2
    assert live["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] == 80
    assert kubectl.out("create", "namespace", "team-a").strip() == "namespace/team-a created"
    assert "team-a" in kubectl.out("get", "namespaces", "-o", "name")


def test_drain_evicts_and_uncordon(kubectl: Kubectl) -> None:
    path = kubectl.manifest("drained", replicas=3)
    kubectl.out("apply", "-f", str(path))
    wait_for(
        lambda: (
            kubectl.out("get", "pods", "-l", "app=drained", "-o", "jsonpath={.items[*].status.phase}").split()
            == ["Running"] * 3
        )
    )
    node = kubectl.out("get", "pods", "-l", "app=drained", "-o", "jsonpath={.items[0].spec.nodeName}")
    proxy = kubectl.out(
        "get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-proxy",
        "--field-selector", f"spec.nodeName={node}", "-o", "name",
    ).strip()  # fmt: skip
    assert proxy.startswith("pod/kube-proxy-")
    drain = kubectl("drain", node, "--ignore-daemonsets", "--timeout=60s")
    out = drain.stdout
    assert f"node/{node} cordoned" in out and f"node/{node} drained" in out
    assert "evicted" in out
    # kubeadm's kube-proxy DaemonSet pod is left where it is, as kubectl warns
    assert (
        drain.stderr
        == f"Warning: ignoring DaemonSet-managed Pods: kube-system/{proxy.removeprefix('pod/')}\n"
    )
    on_node = kubectl.out("get", "pods", "-A", "--field-selector", f"spec.nodeName={node}", "-o", "name")
    assert "drained-" not in on_node and proxy in on_node.split()
    assert kubectl.out("uncordon", node).strip() == f"node/{node} uncordoned"


def test_server_dry_run_answers_like_a_write_and_changes_nothing(kubectl: Kubectl) -> None:
    path = kubectl.manifest("dry", replicas=2)
    assert kubectl.out("apply", "-f", str(path), "--dry-run=server").strip() == (
        "deployment.apps/dry created (server dry run)"
    )
    assert kubectl.out("apply", "--server-side", "-f", str(path), "--dry-run=server").strip() == (
        "deployment.apps/dry serverside-applied (server dry run)"
    )
    shown = yaml.safe_load(kubectl.out("create", "-f", str(path), "--dry-run=server", "-o", "yaml"))
    assert shown["metadata"]["uid"] and shown["metadata"]["creationTimestamp"]
    assert "resourceVersion" not in shown["metadata"]
    assert shown["spec"]["strategy"]["type"] == "RollingUpdate"  # defaulted by the server
    assert kubectl.out("run", "dry-pod", "--image=nginx:1.27", "--dry-run=server").strip() == (
        "pod/dry-pod created (server dry run)"
    )
    assert kubectl("get", "deploy", "dry", ok=False).returncode == 1
    assert kubectl("get", "pod", "dry-pod", ok=False).returncode == 1

    kubectl.out("apply", "-f", str(kubectl.manifest("kept", replicas=1)))
    wait_for(
        lambda: (
            kubectl.out("get", "pods", "-l", "app=kept", "-o", "jsonpath={.items[*].status.phase}")
            == "Running"
        )
    )
    rv = kubectl.out("get", "deploy", "kept", "-o", "jsonpath={.metadata.resourceVersion}")
    assert kubectl.out("scale", "deploy", "kept", "--replicas=5", "--dry-run=server").strip() == (
        "deployment.apps/kept scaled (server dry run)"
    )
    assert kubectl.out("label", "deploy", "kept", "tier=x", "--dry-run=server").strip() == (
        "deployment.apps/kept labeled (server dry run)"
    )
    assert kubectl.out("delete", "deploy", "kept", "--dry-run=server").strip() == (
        'deployment.apps "kept" deleted (server dry run)'
    )
    pod = kubectl.out("get", "pods", "-l", "app=kept", "-o", "jsonpath={.items[0].metadata.name}")
    node = kubectl.out("get", "pod", pod, "-o", "jsonpath={.spec.nodeName}")
    assert kubectl.out("delete", "pod", pod, "--dry-run=server").strip() == (
        f'pod "{pod}" deleted (server dry run)'
    )
    drained = kubectl("drain", node, "--ignore-daemonsets", "--dry-run=server")
    assert f"node/{node} cordoned (server dry run)" in drained.stdout
    assert f"evicting pod default/{pod} (server dry run)" in drained.stdout
    assert f"node/{node} drained (server dry run)" in drained.stdout
    bad = kubectl("apply", "-f", str(kubectl.manifest("bad", replicas=-1)), "--dry-run=server", ok=False)
    assert "spec.replicas: Invalid value: -1: must be greater than or equal to 0" in bad.stderr

    time.sleep(1)  # a few virtual seconds: a real delete or eviction would have shown by now
    live = json.loads(kubectl.out("get", "deploy", "kept", "-o", "json"))
    assert live["metadata"]["resourceVersion"] == rv and live["spec"]["replicas"] == 1
    assert "tier" not in live["metadata"].get("labels", {})
    assert kubectl.out("get", "pod", pod, "-o", "jsonpath={.metadata.deletionTimestamp}") == ""
    row = next(r for r in columns(kubectl.out("get", "nodes")) if r[0] == node)
    assert row[1] == "Ready"


def test_logs_follow_streams_until_the_container_stops(kubectl: Kubectl) -> None:
    assert kubectl.out("run", "follow", "--image=nginx:1.27").strip() == "pod/follow created"
    wait_for(lambda: kubectl.out("get", "pod", "follow", "-o", "jsonpath={.status.phase}") == "Running")
    wait_for(lambda: "start worker process" in kubectl.out("logs", "follow"))
    whole = kubectl.out("logs", "follow")
    assert kubectl.out("logs", "follow", "--limit-bytes=13") == whole[:13]
    assert kubectl.out("logs", "follow", "--tail=1") == whole.splitlines(keepends=True)[-1]
    stamped = kubectl.out("logs", "follow", "--timestamps", "--since=1h").splitlines()
    assert [line.split(" ", 1)[1] for line in stamped] == whole.splitlines()
    assert kubectl.out("logs", "follow", "-f", "--limit-bytes=13") == whole[:13]  # the limit ends it
    follower = subprocess.Popen(
        kubectl.argv("logs", "-f", "follow"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=kubectl.env(),
    )
    try:
        assert follower.stdout is not None
        first = follower.stdout.readline()
        assert first == whole.splitlines(keepends=True)[0]
        time.sleep(1)
        assert follower.poll() is None  # held open while the container runs
        kubectl.out("delete", "pod", "follow", "--wait=false")
        assert follower.wait(timeout=30) == 0  # ends when the container stops
        assert first + follower.stdout.read() == whole
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait(timeout=10)
    bad = kubectl("logs", "nope", "-f", ok=False)
    assert bad.stderr.strip() == (
        'error: error from server (NotFound): pods "nope" not found in namespace "default"'
    )


EXPLAIN_STRATEGY = """GROUP:      apps
KIND:       Deployment
VERSION:    v1

FIELD: strategy <DeploymentStrategy>


DESCRIPTION:
    The deployment strategy to use to replace existing pods with new ones.
    DeploymentStrategy describes how to replace existing pods with new ones.
    \nFIELDS:
  rollingUpdate\t<RollingUpdateDeployment>
    Rolling update config params. Present only if DeploymentStrategyType =
    RollingUpdate.

  type\t<string>
    Type of deployment. Can be "Recreate" or "RollingUpdate". Default is
    RollingUpdate.


"""


def test_explain_renders_the_served_openapi_schemas(kubectl: Kubectl) -> None:
    pods = kubectl.out("explain", "pods")
    assert pods.startswith(
        "KIND:       Pod\nVERSION:    v1\n\nDESCRIPTION:\n    Pod is a collection of containers that can "
        "run on a host. This resource is\n    created by clients and scheduled onto hosts.\n"
    )
    fields = [line.split("\t") for line in pods.splitlines() if line.startswith("  ") and "\t" in line]
    assert fields == [
        ["  apiVersion", "<string>"],
        ["  kind", "<string>"],
        ["  metadata", "<ObjectMeta>"],
        ["  spec", "<PodSpec>"],
        ["  status", "<PodStatus>"],
    ]
    assert kubectl.out("explain", "deployment.spec.strategy") == EXPLAIN_STRATEGY
    recursive = kubectl.out("explain", "svc", "--recursive")
    assert "    ports\t<[]ServicePort>\n" in recursive
    assert "      port\t<integer> -required-\n" in recursive
    assert "      targetPort\t<IntOrString>\n" in recursive
    assert "    labels\t<map[string]string>\n" in recursive
    field = kubectl.out("explain", "pod.spec.containers.resources.limits")
    assert "FIELD: limits <map[string]Quantity>" in field
    stamp = kubectl.out("explain", "pod.metadata.creationTimestamp")
    assert "FIELD: creationTimestamp <string>" in stamp
    assert "Time is a wrapper around time.Time" in stamp  # the referenced type's description too
    missing = kubectl("explain", "pods.nope", ok=False)
    assert (missing.returncode, missing.stderr) == (1, 'error: field "nope" does not exist\n')


def test_a_typo_is_refused_as_a_real_server_refuses_it(kubectl: Kubectl) -> None:
    path = kubectl.home / "typo.yaml"
    path.write_text(
        WEB.format(name="typo", replicas=1, image="nginx:1.27").replace("replicas:", "replicass:")
    )
    done = kubectl("apply", "-f", str(path), ok=False)
    assert done.returncode == 1
    assert 'Error from server (BadRequest): error when creating "' in done.stderr
    assert (
        'Deployment in version "v1" cannot be handled as a Deployment: '
        'strict decoding error: unknown field "spec.replicass"'
    ) in done.stderr


def test_auth_can_i_and_whoami(kubectl: Kubectl) -> None:
    assert kubectl.out("auth", "can-i", "create", "pods").strip() == "yes"
    assert kubectl.out("auth", "can-i", "delete", "nodes").strip() == "yes"
    whoami = columns(kubectl.out("auth", "whoami"))
    assert whoami[1] == ["Username", "kubernetes-admin"]


def test_exec_streams_output_exit_codes_and_stdin(kubectl: Kubectl) -> None:
    """kubectl exec over the WebSocket remote-command protocol (v5.channel.k8s.io)."""
    kubectl.out("run", "shell", "--image=nginx:1.27", "--env=GREETING=hello")
    wait_for(lambda: kubectl.out("get", "pod", "shell", "-o", "jsonpath={.status.phase}") == "Running")
    assert kubectl.out("exec", "shell", "--", "hostname") == "shell\n"
    assert kubectl.out("exec", "shell", "--", "printenv", "GREETING") == "hello\n"
    assert kubectl.out("exec", "shell", "--", "cat", "/etc/hosts").endswith("\tshell\n")
    failed = kubectl("exec", "shell", "--", "sh", "-c", "echo partial; exit 3", ok=False)
    assert (failed.returncode, failed.stdout) == (3, "partial\n")
    assert "command terminated with exit code 3" in failed.stderr
    missing = kubectl("exec", "shell", "--", "curlz", ok=False)
    assert missing.returncode == 1
    assert 'exec: "curlz": executable file not found in $PATH' in missing.stderr
    assert kubectl.out("exec", "-i", "shell", "--", "cat", stdin="piped in\n") == "piped in\n"
    # A command that takes virtual time answers once the lab's clock (60x here) has run that long.
    kubectl.out("create", "configmap", "before-sleep")
    kubectl.out("exec", "shell", "--", "sleep", "300")
    kubectl.out("create", "configmap", "after-sleep")
    stamps = kubectl.out(
        "get", "cm", "before-sleep", "after-sleep", "-o", "jsonpath={.items[*].metadata.creationTimestamp}"
    ).split()
    before, after = (datetime.fromisoformat(s.replace("Z", "+00:00")) for s in stamps)
    assert (after - before).total_seconds() >= 300
    gone = kubectl("exec", "nosuchpod", "--", "hostname", ok=False)
    assert 'pods "nosuchpod" not found' in gone.stderr
    kubectl.out("delete", "pod", "shell")


def test_rollout_set_image_wait_events_and_taint(kubectl: Kubectl) -> None:
    kubectl.out("apply", "-f", str(kubectl.manifest("roll", replicas=2)))
    waited = kubectl.out("wait", "--for=condition=Available", "deploy/roll", "--timeout=60s")
    assert waited.strip() == "deployment.apps/roll condition met"

    assert (
        kubectl.out("set", "image", "deploy/roll", "app=nginx:1.28").strip()
        == "deployment.apps/roll image updated"
    )
    status = kubectl.out("rollout", "status", "deploy/roll", "--timeout=60s")
    assert status.strip().splitlines()[-1] == 'deployment "roll" successfully rolled out'
    history = columns(kubectl.out("rollout", "history", "deploy/roll"))
    assert history[0] == ["deployment.apps/roll"]
    assert history[1] == ["REVISION", "CHANGE-CAUSE"]
    assert history[2:] == [["1", "<none>"], ["2", "<none>"]]

    assert kubectl.out("rollout", "undo", "deploy/roll").strip() == "deployment.apps/roll rolled back"
    kubectl.out("rollout", "status", "deploy/roll", "--timeout=60s")
    image = kubectl.out("get", "deploy", "roll", "-o", "jsonpath={.spec.template.spec.containers[0].image}")
    assert image == "nginx:1.27"
    assert [row[0] for row in columns(kubectl.out("rollout", "history", "deploy/roll"))[2:]] == ["2", "3"]

    events = columns(kubectl.out("events", "--for", "deploy/roll"))
    assert events[0] == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    # LAST SEEN reads "<invalid>" here: the lab runs at 60x, so its events are in kubectl's future
    assert any(row[1:4] == ["Normal", "ScalingReplicaSet", "Deployment/roll"] for row in events[1:])

    assert (
        kubectl.out("taint", "nodes", "worker-3", "dedicated=lab:NoSchedule").strip()
        == "node/worker-3 tainted"
    )
    taints = kubectl.out("get", "node", "worker-3", "-o", "jsonpath={.spec.taints[*].key}")
    assert taints == "dedicated"
    clash = kubectl("taint", "nodes", "worker-3", "dedicated=other:NoSchedule", ok=False)
    assert clash.returncode == 1
    assert "already has dedicated taint(s) with same effect(s) and --overwrite is false" in clash.stderr
    assert (
        kubectl.out("taint", "nodes", "worker-3", "dedicated=lab:NoSchedule-").strip()
        == "node/worker-3 untainted"
    )
