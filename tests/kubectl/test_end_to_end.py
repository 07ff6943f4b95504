"""The console end to end: commands through the lab REST API's dispatcher on an engine cluster.

`live_transport` (conftest) runs every request through `clusterlab.kubeapi.dispatch`, so
these tests check real behaviour: objects are created, scaled, patched, evicted, deleted.
"""

from __future__ import annotations

from clusterlab.engine import Cluster
from clusterlab.kubectl import run
from clusterlab.kubectl.cmd_misc import FOLLOW_NOTE

from .conftest import DEPLOYMENT

TWO_DOCS_ONE_BAD = DEPLOYMENT + (
    "---\napiVersion: v1\nkind: Pod\nmetadata: [\n---\napiVersion: v1\nkind: "
    "Namespace\nmetadata:\n  name: team\n"
)


def test_create_get_scale_delete(live_transport, live_cluster: Cluster) -> None:
    t = live_transport
    assert run("kubectl create deployment web --image=nginx:1.27 --replicas=2", t).stdout == (
        "deployment.apps/web created\n"
    )
    live_cluster.advance(30)
    out = run("kubectl get deploy", t)
    assert (
        out.stdout
        == "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    2/2     2            2           30s\n"
    )
    assert run("kubectl scale deploy web --replicas=3", t).stdout == "deployment.apps/web scaled\n"
    assert run("kubectl get deploy web -o jsonpath={.spec.replicas}", t).stdout == "3"
    live_cluster.advance(30)
    pods = run("kubectl get pods -l app=web -o name", t).stdout.split()
    assert len(pods) == 3 and all(p.startswith("pod/web-") for p in pods)
    assert run("kubectl delete deployment web", t).stdout == 'deployment.apps "web" deleted\n'
    missing = run("kubectl get deploy web", t)
    assert (missing.stderr, missing.exit_code) == (
        'Error from server (NotFound): deployments.apps "web" not found\n',
        1,
    )


def test_apply_created_unchanged_configured(live_transport, live_cluster: Cluster) -> None:
    t = live_transport
    assert run("kubectl apply -f -", t, stdin=DEPLOYMENT).stdout == "deployment.apps/web created\n"
    live_cluster.advance(10)
    assert run("kubectl apply -f -", t, stdin=DEPLOYMENT).stdout == "deployment.apps/web unchanged\n"
    changed = DEPLOYMENT.replace("replicas: 2", "replicas: 4")
    assert run("kubectl apply -f -", t, stdin=changed).stdout == "deployment.apps/web configured\n"
    assert live_cluster.get("deployment", "web")["spec"]["replicas"] == 4
    ssa = run("kubectl apply --server-side -f -", t, stdin=changed.replace("name: web", "name: api", 1))
    assert ssa.stdout == "deployment.apps/api serverside-applied\n", ssa


def test_multi_document_apply_applies_the_good_ones_and_reports_the_bad(live_transport, live_cluster) -> None:
    r = run("kubectl apply -f -", live_transport, stdin=TWO_DOCS_ONE_BAD)
    assert r.stdout == "deployment.apps/web created\nnamespace/team created\n"
    assert r.stderr == (
        "error: error parsing STDIN: error converting YAML to JSON: yaml: line 3: did not find "
        "expected node content\n"
    )
    assert r.exit_code == 1
    assert live_cluster.get("namespace", "team", namespace=None)["metadata"]["name"] == "team"


def test_bad_input_never_crashes(live_transport) -> None:
    t = live_transport
    huge = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: '"
        + "x" * (3 * 1024 * 1024)
        + "'\n"
    )
    cases = {
        "kubectl apply -f -": huge,
        "kubectl get pods/../../etc": "",
        "kubectl get pods '<script>'": "",
        "kubectl get pods -n '../x'": "",
        "kubectl delete pod 'a b'": "",
        "kubectl get": "",
        "kubectl logs": "",
        "kubectl apply -f -  ": "{{{",
    }
    for line, stdin in cases.items():
        r = run(line, t, stdin=stdin)
        assert r.exit_code == 1, line
        assert "internal error" not in r.stderr and r.stderr, (line, r)
    assert (
        run("kubectl get widgets", t).stderr == 'error: the server doesn\'t have a resource type "widgets"\n'
    )
    assert run("kubectl get pods -w", t).stderr.startswith(
        "error: -w/--watch is not available in this console"
    )


def test_nodes_cordon_taint_drain(live_transport, live_cluster: Cluster) -> None:
    t = live_transport
    run("kubectl create deployment web --image=nginx:1.27 --replicas=3", t)
    live_cluster.advance(30)
    assert run("kubectl cordon worker-1", t).stdout == "node/worker-1 cordoned\n"
    assert run("kubectl cordon worker-1", t).stdout == "node/worker-1 already cordoned\n"
    assert "Ready,SchedulingDisabled" in run("kubectl get node worker-1", t).stdout
    assert run("kubectl uncordon worker-1", t).stdout == "node/worker-1 uncordoned\n"
    assert run("kubectl taint nodes worker-2 gpu=true:NoSchedule", t).stdout == "node/worker-2 tainted\n"
    assert run("kubectl taint nodes worker-2 gpu:NoSchedule-", t).stdout == "node/worker-2 untainted\n"
    on_node = [
        p["metadata"]["name"]
        for p in live_cluster.list("pods", "default")
        if p["spec"].get("nodeName") == "worker-3"
    ]
    r = run("kubectl drain worker-3 --ignore-daemonsets", t)
    assert r.exit_code == 0, r
    assert r.stdout.startswith("node/worker-3 cordoned\n") and r.stdout.endswith("node/worker-3 drained\n")
    for name in on_node:
        assert f"evicting pod default/{name}\n" in r.stdout and f"pod/{name} evicted\n" in r.stdout


def test_logs_label_describe(live_transport, live_cluster: Cluster) -> None:
    t = live_transport
    assert run("kubectl run box --image=nginx:1.27", t).stdout == "pod/box created\n"
    live_cluster.advance(20)
    logs = run("kubectl logs box", t)
    assert logs.exit_code == 0, logs
    assert run("kubectl label pod box tier=web", t).stdout == "pod/box labeled\n"
    assert run("kubectl label pod box tier=db", t).stderr == (
        "error: 'tier' already has a value (web), and --overwrite is false\n"
    )
    described = run("kubectl describe pod box", t)
    # every pod runs as a service account, and describe says which (its label is the widest)
    assert described.stdout.startswith(
        "Name:             box\nNamespace:        default\nPriority:         0\nService Account:  default\n"
    ), described
    assert "Events:" in described.stdout


def test_rollout_set_image_history_undo_patch(live_transport, live_cluster: Cluster) -> None:
    t = live_transport
    run("kubectl apply -f -", t, stdin=DEPLOYMENT)
    live_cluster.advance(30)
    assert (
        run("kubectl set image deploy/web nginx=nginx:1.28", t).stdout
        == "deployment.apps/web image updated\n"
    )
    live_cluster.advance(60)
    assert run("kubectl rollout status deploy/web", t).stdout == 'deployment "web" successfully rolled out\n'
    history = run("kubectl rollout history deploy/web", t).stdout
    assert history == "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    assert run("kubectl rollout undo deploy/web", t).stdout == "deployment.apps/web rolled back\n"
    image = run("kubectl get deploy web -o jsonpath={.spec.template.spec.containers[0].image}", t).stdout
    assert image == "nginx:1.27"
    patched = run("""kubectl patch deploy web -p '{"spec":{"replicas":3}}'""", t)
    assert patched.stdout == "deployment.apps/web patched\n"
    assert live_cluster.get("deployment", "web")["spec"]["replicas"] == 3
    assert run("kubectl rollout pause deploy/web", t).stdout == "deployment.apps/web paused\n"
    again = run("kubectl rollout pause deploy/web", t)
    assert (again.stderr, again.exit_code) == ('error: deployments.apps "web" is already paused\n', 1)


def test_server_dry_run_answers_and_changes_nothing(live_transport, live_cluster: Cluster) -> None:
    t = live_transport
    dry = run("kubectl apply -f - --dry-run=server", t, stdin=DEPLOYMENT)
    assert dry.stdout == "deployment.apps/web created (server dry run)\n", dry
    shown = run("kubectl create deployment api --image=nginx:1.27 --dry-run=server -o name", t)
    assert shown.stdout == "deployment.apps/api\n"
    assert run("kubectl get deploy", t).stderr == "No resources found in default namespace.\n"
    run("kubectl apply -f -", t, stdin=DEPLOYMENT)
    live_cluster.advance(30)
    before = live_cluster.get("deployment", "web")
    assert run("kubectl scale deploy web --replicas=5 --dry-run=server", t).stdout == (
        "deployment.apps/web scaled (server dry run)\n"
    )
    assert run("kubectl delete deploy web --dry-run=server", t).stdout == (
        'deployment.apps "web" deleted (server dry run)\n'
    )
    assert run("kubectl cordon worker-1 --dry-run=server", t).stdout == (
        "node/worker-1 cordoned (server dry run)\n"
    )
    refused = run(
        "kubectl apply -f - --dry-run=server", t, stdin=DEPLOYMENT.replace("replicas: 2", "replicas: -1")
    )
    assert "spec.replicas: Invalid value: -1: must be greater than or equal to 0" in refused.stderr
    live_cluster.advance(5)
    after = live_cluster.get("deployment", "web")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert not live_cluster.get("node", "worker-1").get("spec", {}).get("unschedulable")


def test_logs_follow_prints_the_log_so_far_and_says_where_it_stopped(live_transport, live_cluster) -> None:
    t = live_transport
    assert run("kubectl run solo --image=nginx:1.27", t).stdout == "pod/solo created\n"
    live_cluster.advance(20)
    plain = run("kubectl logs solo", t)
    followed = run("kubectl logs -f solo", t)
    assert followed.stdout == plain.stdout and "start worker process" in plain.stdout
    assert followed.stderr == FOLLOW_NOTE and followed.exit_code == 0
    assert run("kubectl logs -f solo --limit-bytes=13", t).stdout == plain.stdout[:13]
    assert run("kubectl logs solo --tail=1 -f", t).stdout == plain.stdout.splitlines(keepends=True)[-1]
    bad = run("kubectl logs solo --since=5d", t)
    assert bad.stderr.startswith('error: invalid argument "5d" for "--since" flag: time: unknown unit "d"')


def test_no_api_server_means_connection_refused_and_etcd_loss_times_out(
    live_transport, live_cluster: Cluster
) -> None:
    t = live_transport
    live_cluster.stop_component("kube-apiserver")
    refused = run("kubectl get pods", t)
    assert (refused.stdout, refused.exit_code) == ("", 1)
    assert refused.stderr == (
        "The connection to the server localhost:8080 was refused - did you specify the right host or port?\n"
    )
    live_cluster.start_component("kube-apiserver")
    live_cluster.advance(6)
    assert run("kubectl get ns default -o name", t).stdout == "namespace/default\n"
    live_cluster.stop_component("etcd")
    timed_out = run("kubectl get ns default", t)
    assert (timed_out.stderr, timed_out.exit_code) == (
        "Error from server: etcdserver: request timed out\n",
        1,
    )
