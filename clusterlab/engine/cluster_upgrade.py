"""Versions and upgrades of the cluster, as a kubeadm administrator performs them.

The cluster has a Kubernetes version (kubeadm's `ClusterConfiguration.kubernetesVersion`, in
the `kubeadm-config` ConfigMap); each control-plane component runs the version of its static
pod's image; each node's kubelet is the version of its installed package, which its Node
reports (`kubectl get nodes`' VERSION column). An upgrade goes as the kubeadm documentation
tells it:

1. `kubeadm upgrade apply v1.33.0` on the first control-plane node (`upgrade_control_plane`):
   kubeadm's version policy is checked (one minor at a time, no kubelet left more than three
   minors behind), the new images are pulled, then kube-apiserver, kube-controller-manager and
   kube-scheduler are upgraded one at a time (API server first, so neither of the others is
   ever newer than it): the static pod manifest is rewritten, the kubelet kills the old
   container and starts the new one, and kubeadm waits until it runs before the next. Last,
   the new ClusterConfiguration is stored: the cluster's version is now the new one.
2. `kubeadm upgrade node` on each other control-plane node (`upgrade_control_plane(version,
   node=...)`), the same component by component.
3. Per node, control-plane nodes first, then the workers one at a time: drain it
   (`kubectl drain`, PodDisruptionBudgets can hold it up), upgrade the kubelet package and
   restart the kubelet (`upgrade_kubelet`), uncordon it.

`upgrade(version)` runs all of it as one procedure; every step can also be taken alone. Faults
an upgrade meets in real life: a drain that a PodDisruptionBudget blocks (the eviction is
retried every 5 s until the budget allows it), and a kubelet that does not come back after its
restart (`set_kubelet_extra_args` leaves a flag the kubelet rejects in `/etc/default/kubelet`;
systemd restarts the kubelet every 10 s, and each start fails until the flag is fixed).

Simplified: etcd keeps its version (kubeadm upgrades it only when the new release pins a newer
etcd); kubeadm's addon phase is not shown (the kube-proxy DaemonSet keeps its image and CoreDNS
its version, where `kubeadm upgrade apply` would roll kube-proxy to the new release);
kubeadm's `upgrade plan` and the pre-flight health checks are not modelled.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .audit import User
from .control_plane import static_pod
from .errors import ApiError, BadRequest, NotFound
from .procedure import Procedure, ProcedureFailed, Step, Wait
from .versions import (
    UpgradeRefused,
    Version,
    apply_errors,
    kubelet_error,
    parse,
    refuse_apply,
    refuse_preflight,
    released,
)

if TYPE_CHECKING:
    from .apiserver import APIServer
    from .clock import Clock
    from .control_plane import Component
    from .node.kubelet import Kubelet

Obj = dict[str, Any]
ADMIN = User("kubernetes-admin", "kubectl")
UPGRADED = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")  # kubeadm's order
POLL_SECONDS = 0.5  # how often kubeadm checks a restarted static pod
KUBELET_RESTART_SECONDS = 10.0  # the kubelet unit's RestartSec=10 (kubeadm's package)
KUBELET_INIT_SECONDS = 2.0  # a restarted kubelet initialises before it syncs its node and pods
KUBECTL_EVICTION_RETRY = 5.0  # kubectl drain retries a refused eviction after 5 s
KUBECTL_DELETE_POLL = 1.0  # kubectl drain checks every second whether evicted pods are gone
# Flags the simulated kubelet knows; anything else on its command line makes it exit.
KUBELET_FLAGS = frozenset(
    {
        "--bootstrap-kubeconfig",
        "--cluster-dns",
        "--cluster-domain",
        "--config",
        "--container-runtime-endpoint",
        "--eviction-hard",
        "--fail-swap-on",
        "--hostname-override",
        "--image-gc-high-threshold",
        "--image-gc-low-threshold",
        "--kube-reserved",
        "--kubeconfig",
        "--max-pods",
        "--node-ip",
        "--node-labels",
        "--pod-infra-container-image",
        "--register-with-taints",
        "--resolv-conf",
        "--rotate-certificates",
        "--system-reserved",
        "--v",
    }
)


class UpgradeVerbs:
    """Mixed into `Cluster`: versions, the upgrade steps and the whole upgrade."""

    # Provided by Cluster.
    clock: Clock
    server: APIServer
    kubelets: dict[str, Kubelet]
    powered: dict[str, bool]
    control_plane: list[Component]
    control_plane_nodes: list[str]
    _kubelet: Any

    def _init_versions(self, version: str) -> None:
        self.kubernetes_version: Version = parse(version)
        self.component_versions: dict[tuple[str, str], Version] = {
            (c.name, c.node): self.kubernetes_version for c in self.control_plane if c.name in UPGRADED
        }
        self.kubelet_extra_args: dict[str, str] = {}  # node → /etc/default/kubelet's KUBELET_EXTRA_ARGS
        self.kubelet_failure: dict[str, str] = {}  # node → why its kubelet last failed to start
        self.procedures: list[Procedure] = []
        self._kubelet_retry: dict[str, Any] = {}

    # -- what runs where --------------------------------------------------------------------

    @property
    def version(self) -> str:
        """The cluster's Kubernetes version (`kubeadm-config`'s kubernetesVersion)."""
        return str(self.kubernetes_version)

    def component_version(self, name: str, node: str) -> str:
        """The version a control-plane component's static pod runs (etcd: its own release)."""
        version = self.component_versions.get((name, node))
        if version is None:
            raise NotFound(f'no {name} runs on node "{node}"')
        return str(version)

    def kubelet_version(self, node: str) -> str:
        return self._kubelet(node).config.kubelet_version

    def _apiserver_versions(self) -> list[Version]:
        return [v for (name, _), v in self.component_versions.items() if name == "kube-apiserver"]

    def _check_joining_kubelet(self, version: str) -> Version:
        """`kubeadm join`'s KubeletVersion preflight check against the control plane."""
        kubelet = released(version)
        servers = self._apiserver_versions()
        error = kubelet_error(kubelet, min(servers)) if servers else None
        if error:
            raise refuse_preflight("KubeletVersion", error)
        return kubelet

    # -- control plane ----------------------------------------------------------------------

    def upgrade_control_plane(
        self, version: str, node: str | None = None, *, force: bool = False
    ) -> Procedure:
        """`kubeadm upgrade apply <version>` on the first control-plane node (`node` None or
        that node), or `kubeadm upgrade node` on another control-plane node, which takes the
        version the cluster was upgraded to. Returns the running procedure (its `log` is what
        kubeadm prints); raises `UpgradeRefused` with kubeadm's message if the policy says no
        (`force`: `--force`, which skips what kubeadm lets it skip)."""
        if not self.control_plane_nodes:
            raise BadRequest("this cluster has no control-plane nodes")
        target = released(version)
        first = self.control_plane_nodes[0]
        node = node or first
        if node not in self.control_plane_nodes:
            raise BadRequest(f'node "{node}" is not a control-plane node: upgrade its kubelet instead')
        self._refuse_if_busy()
        if node == first:
            self._check_apply(target, force)
            title = f"kubeadm upgrade apply {target}"
        else:
            if target != self.kubernetes_version:
                raise UpgradeRefused(
                    f'kubeadm upgrade node upgrades "{node}" to the cluster\'s version '
                    f'{self.kubernetes_version}: run "kubeadm upgrade apply {target}" on {first} first'
                )
            title = "kubeadm upgrade node"
        proc = self._procedure(title)
        return proc.run(self._control_plane_steps(proc, node, target, apply=node == first))

    def _control_plane_steps(
        self, proc: Procedure, node: str, target: Version, *, apply: bool
    ) -> Iterator[Step]:
        def intro() -> None:
            proc.say(
                '[upgrade] Reading configuration from the "kubeadm-config" ConfigMap in namespace '
                '"kube-system"...'
            )
            if apply:
                proc.say(f'[upgrade/version] You have chosen to upgrade to version "{target}"')
                proc.say(f"[upgrade/versions] Cluster version: {self.kubernetes_version}")
                proc.say(f"[upgrade/versions] kubeadm version: {target}")
            proc.say("[upgrade/prepull] Pulling images required for setting up a Kubernetes cluster")
            runtime = self._kubelet(node).runtime
            for name in UPGRADED:
                runtime.preload(f"registry.k8s.io/{name}:{target}")
            proc.say(f'[upgrade/staticpods] Preparing for "kube-apiserver" upgrade to "{target}"')

        yield intro
        for name in UPGRADED:
            yield from self._static_pod_steps(proc, name, node, target)

        def finish() -> None:
            if apply:
                self.kubernetes_version = target
                proc.say(
                    '[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the '
                    '"kube-system" Namespace'
                )
                proc.say(
                    f'[upgrade] SUCCESS! A control plane node of your cluster was upgraded to "{target}".'
                )
                proc.say("")
                proc.say(
                    "[upgrade] Now please proceed with upgrading the rest of the nodes by following the "
                    "right order."
                )
            else:
                proc.say("[upgrade] The control plane instance for this node was successfully upgraded!")

        yield finish

    def _static_pod_steps(self, proc: Procedure, name: str, node: str, target: Version) -> Iterator[Step]:
        component = next((c for c in self.control_plane if c.name == name and c.node == node), None)
        if component is None:
            return
        path = f"/etc/kubernetes/manifests/{name}.yaml"

        def rewrite() -> Wait | None:
            if self.component_versions.get((name, node)) == target and component.running:
                proc.say(
                    f"[upgrade/staticpods] Current and new manifests of {name} are equal, skipping upgrade"
                )
                return None
            proc.say(
                f'[upgrade/staticpods] Moved new manifest to "{path}" and backed up old manifest to '
                f'"/etc/kubernetes/tmp/kubeadm-backup-manifests/{name}.yaml"'
            )
            proc.say("[upgrade/staticpods] Waiting for the kubelet to restart the component")
            proc.say("[upgrade/staticpods] This can take up to 5m0s")
            self._restart_static_pod(component, target)
            return Wait(
                lambda: component.running and self._mirror_runs(name, node, target),
                POLL_SECONDS,
                f"the kubelet to restart {name} on {node}",
            )

        def upgraded() -> None:
            proc.say(f"[apiclient] Found 1 Pods for label selector component={name}")
            proc.say(f'[upgrade/staticpods] Component "{name}" upgraded successfully!')

        yield rewrite
        yield upgraded

    def _mirror_runs(self, name: str, node: str, target: Version) -> bool:
        """What kubeadm watches for: the component's mirror pod, with the new image, Running."""
        pod = self.server.store.get("pods", "kube-system", f"{name}-{node}")
        if pod is None or pod["spec"]["containers"][0]["image"] != f"registry.k8s.io/{name}:{target}":
            return False
        return (pod.get("status") or {}).get("phase") == "Running"

    def _restart_static_pod(self, component: Component, target: Version) -> None:
        """The manifest changes: the kubelet kills the old container (its mirror pod goes)
        and runs the new one, whose mirror pod it publishes again."""

        kubelet = self._kubelet(component.node)
        kubelet.remove_static_pod(component.name)
        component.stop()
        self.component_versions[(component.name, component.node)] = target
        kubelet.add_static_pod(static_pod(component.name, str(target)))
        if component.enabled and self.powered.get(component.node):
            component.schedule_start()

    # -- kubelets -----------------------------------------------------------------------------

    def upgrade_kubelet(self, node: str, version: str | None = None) -> Procedure:
        """Upgrade a node's kubelet package (default: to the cluster's version) and restart it
        (`apt-get install kubelet=...`, `systemctl daemon-reload`, `systemctl restart kubelet`).
        Its pods keep running meanwhile; the restarted kubelet reports its new version. A
        kubelet newer than the control plane is refused, as kubeadm's preflight check does."""
        kubelet = self._kubelet(node)
        target = released(version) if version else self.kubernetes_version
        servers = self._apiserver_versions()
        error = kubelet_error(target, min(servers)) if servers else None
        if error:
            raise refuse_preflight("KubeletVersion", error)
        proc = self._procedure(f"upgrade kubelet on {node}")

        def install() -> None:
            proc.say(f"Setting up kubelet ({target.bare}-1.1) ...")
            kubelet.config.kubelet_version = str(target)
            proc.say("$ systemctl daemon-reload && systemctl restart kubelet")
            self.restart_kubelet(node)

        return proc.run(iter([install]))

    def restart_kubelet(self, node: str) -> None:
        """`systemctl restart kubelet`: the process stops (containers keep running) and starts
        again, reading its flags and configuration anew."""
        kubelet = self._kubelet(node)
        if not self.powered.get(node):
            return
        if kubelet.running:
            kubelet.stop(keep_containers=True)
        timer = self._kubelet_retry.pop(node, None)
        if timer is not None:
            timer.cancel()
        self._kubelet_retry[node] = self.clock.call_later(
            KUBELET_INIT_SECONDS, lambda: self._start_kubelet_process(node)
        )

    def _start_kubelet_process(self, node: str) -> None:
        """systemd starts the kubelet; if it exits at once (it checks its command line before
        anything else), systemd tries again 10 s later (`Restart=always`, `RestartSec=10`)."""
        timer = self._kubelet_retry.pop(node, None)
        if timer is not None:
            timer.cancel()
        kubelet = self.kubelets.get(node)
        if kubelet is None or kubelet.running or not self.powered.get(node):
            return
        error = self._kubelet_start_error(node)
        if error is None:
            self.kubelet_failure.pop(node, None)
            kubelet.start()
            return
        self.kubelet_failure[node] = error
        self._kubelet_retry[node] = self.clock.call_later(
            KUBELET_RESTART_SECONDS, lambda: self._start_kubelet_process(node)
        )

    def _kubelet_start_error(self, node: str) -> str | None:
        for word in shlex.split(self.kubelet_extra_args.get(node, "")):
            flag = word.split("=", 1)[0]
            if flag.startswith("--") and flag not in KUBELET_FLAGS:
                return f'"command failed" err="failed to parse kubelet flag: unknown flag: {flag}"'
        return None

    def set_kubelet_extra_args(self, node: str, args: str) -> None:
        """Write `KUBELET_EXTRA_ARGS` in the node's `/etc/default/kubelet`. A running kubelet is
        unaffected until it restarts (as after an upgrade); a kubelet that systemd keeps
        restarting picks the fix up at its next attempt."""
        self._kubelet(node)
        self.kubelet_extra_args[node] = args

    def kubelet_status(self, node: str) -> Obj:
        """What `systemctl status kubelet` and the journal tell about a node's kubelet."""
        kubelet = self._kubelet(node)
        if kubelet.running:
            active = "active (running)"
        elif node in self._kubelet_retry and node in self.kubelet_failure:
            active = "activating (auto-restart) (Result: exit-code)"
        elif node in self._kubelet_retry:
            active = "activating (start)"
        else:
            active = "inactive (dead)"
        return {
            "active": active,
            "version": kubelet.config.kubelet_version,
            "error": self.kubelet_failure.get(node, ""),
            "extraArgs": self.kubelet_extra_args.get(node, ""),
        }

    # -- the whole upgrade --------------------------------------------------------------------

    def upgrade(self, version: str, *, force: bool = False) -> Procedure:
        """The whole upgrade as a kubeadm administrator runs it: `kubeadm upgrade apply` on the
        first control-plane node, `kubeadm upgrade node` on the others, then node by node
        (control-plane nodes first) drain, kubelet upgrade and restart, wait for Ready,
        uncordon. Steps already done are skipped, so a failed upgrade can be run again.
        `force`: kubeadm's `--force`."""
        target = released(version)
        if target != self.kubernetes_version:
            self._check_apply(target, force)
        self._refuse_if_busy()
        proc = self._procedure(f"upgrade the cluster to {target}")
        return proc.run(self._upgrade_steps(proc, target))

    def _upgrade_steps(self, proc: Procedure, target: Version) -> Iterator[Step]:
        for index, node in enumerate(self.control_plane_nodes):
            apply = index == 0

            def announce(node: str = node, apply: bool = apply) -> None:
                verb = f"kubeadm upgrade apply {target}" if apply else "kubeadm upgrade node"
                proc.say(f"### {node}: {verb}")

            yield announce
            yield from self._control_plane_steps(proc, node, target, apply=apply)
        workers = [n for n in self.kubelets if n not in self.control_plane_nodes]
        for node in [*self.control_plane_nodes, *workers]:
            yield from self._node_steps(proc, node, target)

        def done() -> None:
            proc.say(f"### the cluster runs {target}")

        yield done

    def _node_steps(self, proc: Procedure, node: str, target: Version) -> Iterator[Step]:
        kubelet = self._kubelet(node)

        def begin() -> None:
            proc.say(f"### {node}: drain, upgrade the kubelet to {target}, uncordon")

        yield begin
        if kubelet.config.kubelet_version == str(target):
            yield lambda: proc.say(f"kubelet on {node} already runs {target}")
            yield lambda: self._uncordon(proc, node)
            return
        yield from self._drain_steps(proc, node)

        def upgrade() -> Wait:
            proc.say(f"Setting up kubelet ({target.bare}-1.1) ...")
            kubelet.config.kubelet_version = str(target)
            proc.say("$ systemctl daemon-reload && systemctl restart kubelet")
            self.restart_kubelet(node)
            return Wait(lambda: self._node_ready(node, target), POLL_SECONDS, f"node/{node} to be Ready")

        yield upgrade
        yield lambda: self._uncordon(proc, node)

    def _node_ready(self, node: str, target: Version) -> bool:
        obj = self.server.store.get("nodes", None, node)
        if obj is None:
            return False
        status = obj.get("status") or {}
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or ()
        )
        return ready and (status.get("nodeInfo") or {}).get("kubeletVersion") == str(target)

    def _uncordon(self, proc: Procedure, node: str) -> None:
        proc.say(f"$ kubectl uncordon {node}")
        try:
            self.server.patch(ADMIN, "nodes", node, {"spec": {"unschedulable": None}}, patch_type="strategic")
        except ApiError as exc:
            raise ProcedureFailed(f"Error from server: {exc.message}") from exc
        proc.say(f"node/{node} uncordoned")

    # -- kubectl drain ------------------------------------------------------------------------

    def drain(self, node: str) -> Procedure:
        """`kubectl drain <node> --ignore-daemonsets` as its own procedure: cordon, evict every
        pod but mirror pods and DaemonSet pods (each DaemonSet is looked up, as kubectl does, and
        its pods are named in a warning: the DaemonSet controller would put them straight back;
        kube-proxy's stay and keep the node's rules), retry a refused eviction every 5 s, wait
        until the evicted pods are gone."""
        self._kubelet(node)
        proc = self._procedure(f"kubectl drain {node} --ignore-daemonsets")
        return proc.run(self._drain_steps(proc, node))

    def _drain_steps(self, proc: Procedure, node: str) -> Iterator[Step]:
        pending: dict[str, Obj] = {}  # ns/name → the pod as listed
        evicted: set[str] = set()  # evictions the API server accepted

        def cordon() -> None:
            proc.say(f"$ kubectl drain {node} --ignore-daemonsets")
            try:
                current = self.server.get(ADMIN, "nodes", node)
                if (current.get("spec") or {}).get("unschedulable"):
                    proc.say(f"node/{node} already cordoned")
                else:
                    self.server.patch(
                        ADMIN, "nodes", node, {"spec": {"unschedulable": True}}, patch_type="strategic"
                    )
                    proc.say(f"node/{node} cordoned")
                pods, _ = self.server.list(ADMIN, "pods", None, None, f"spec.nodeName={node}")
            except ApiError as exc:
                raise ProcedureFailed(f"Error from server: {exc.message}") from exc
            unmanaged: list[str] = []
            daemons: list[str] = []  # DaemonSet pods: left alone (--ignore-daemonsets)
            failed: dict[str, list[str]] = {}  # kubectl's message → the pods it refuses for it
            for pod in sorted(pods, key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"])):
                meta = pod["metadata"]
                key = f"{meta['namespace']}/{meta['name']}"
                finished = (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
                owner = next((r for r in meta.get("ownerReferences") or () if r.get("controller")), None)
                if owner is not None and owner.get("kind") == "DaemonSet" and not finished:
                    try:  # kubectl's daemonSetFilter: the pod's DaemonSet must exist
                        self.server.get(ADMIN, "daemonsets", owner["name"], meta["namespace"])
                    except ApiError as exc:
                        failed.setdefault(exc.message, []).append(key)
                        continue
                    daemons.append(key)
                    continue
                if "kubernetes.io/config.mirror" in (meta.get("annotations") or {}):
                    continue
                if owner is None and not finished:
                    unmanaged.append(key)
                pending[key] = pod
            if unmanaged:  # kubectl 1.32 prints "cannot delete" twice: its message repeats it
                failed["cannot delete Pods that declare no controller (use --force to override)"] = unmanaged
            if failed:
                problems = [f"cannot delete {why}: {', '.join(keys)}" for why, keys in failed.items()]
                listing = problems[0] if len(problems) == 1 else "[" + ", ".join(problems) + "]"
                proc.say(
                    f'error: unable to drain node "{node}" due to error: {listing}, continuing command...'
                )
                # kubectl's last words: the filters' errors are an aggregate, one a line, unprefixed
                proc.say(f"There are pending nodes to be drained:\n {node}\n" + "\n".join(problems))
                raise ProcedureFailed(f"error: {listing}")
            if daemons:
                proc.say(f"Warning: ignoring DaemonSet-managed Pods: {', '.join(daemons)}")
            for key in pending:
                proc.say(f"evicting pod {key}")

        yield cordon

        def evict_all() -> Wait | None:
            refused = [key for key in list(pending) if not self._evict(proc, pending[key], evicted)]
            if not refused:
                return None
            return Wait(
                lambda: all([self._evict(proc, pending[key], evicted) for key in list(pending)]),
                KUBECTL_EVICTION_RETRY,
                "a PodDisruptionBudget",
                immediate=False,
            )

        yield evict_all

        def gone() -> Wait:
            return Wait(
                lambda: self._evicted_gone(proc, pending), KUBECTL_DELETE_POLL, f"the pods on {node} to go"
            )

        yield gone
        yield lambda: proc.say(f"node/{node} drained")

    def _evict(self, proc: Procedure, pod: Obj, evicted: set[str]) -> bool:
        """One eviction; True once accepted. A 429 is printed the way kubectl prints it."""
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        if f"{ns}/{name}" in evicted:
            return True
        try:
            self.server.evict(
                ADMIN,
                name,
                ns,
                {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": ns}},
            )
        except ApiError as exc:
            if exc.code == 404:
                evicted.add(f"{ns}/{name}")
                return True
            if exc.code == 429:
                proc.say(f'error when evicting pods/"{name}" -n "{ns}" (will retry after 5s): {exc.message}')
                return False
            raise ProcedureFailed(f'error when evicting pods/"{name}" -n "{ns}": {exc.message}') from exc
        evicted.add(f"{ns}/{name}")
        return True

    def _evicted_gone(self, proc: Procedure, pending: dict[str, Obj]) -> bool:
        for key in list(pending):
            pod = pending[key]
            ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
            current = self.server.store.get("pods", ns, name)
            if current is None or current["metadata"].get("uid") != pod["metadata"].get("uid"):
                proc.say(f"pod/{name} evicted")
                del pending[key]
        return not pending

    # -- bookkeeping ----------------------------------------------------------------------------

    def _check_apply(self, target: Version, force: bool) -> None:
        kubelets = [parse(k.config.kubelet_version) for k in self.kubelets.values()]
        refusal = refuse_apply(*apply_errors(self.kubernetes_version, target, kubelets), force)
        if refusal is not None:
            raise refusal

    def _procedure(self, title: str) -> Procedure:
        proc = Procedure(self.clock, title)
        self.procedures.append(proc)
        return proc

    def _refuse_if_busy(self) -> None:
        for proc in self.procedures:
            if proc.running and (
                proc.title.startswith("kubeadm") or proc.title.startswith("upgrade the cluster")
            ):
                raise BadRequest(f'"{proc.title}" is still running: wait for it to finish')
