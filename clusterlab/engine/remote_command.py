"""`pods/exec`: run a command in a container, as `kubectl exec` does.

kube-apiserver proxies an exec request to the kubelet of the pod's node, which asks the
container runtime to start the process in the running container and streams its stdout and
stderr back; the exit code arrives as a final Status (`NonZeroExitCode`). If the node does not
answer, the API server cannot dial the kubelet; if the container is not running, the kubelet
has nothing to exec into; if the image has no such program, runc fails to start it.

Simplified: the command runs to completion at one virtual instant (no interactive sessions or
TTYs); what it prints comes from `node/shell.py`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .errors import ApiError, BadRequest
from .kinds import resolve
from .node.runtime import normalize
from .node.shell import Container, ExecResult, NotFoundInPath, run_command

Obj = dict[str, Any]


class ExecVerbs:
    """Mixed into the API server (which provides `_audited`, `_must_get`, `log_source`, …)."""

    def pod_exec(
        self, user: Any, name: str, namespace: str, container: str | None, command: list[str], stdin: str = ""
    ) -> ExecResult:
        """POST/GET pods/<name>/exec. Errors are ApiErrors worded as kube-apiserver's."""

        def run() -> ExecResult:
            return self._pod_exec(name, namespace, container, command, stdin)

        return self._audited(user, "create", "pods/exec", namespace, name, run)  # type: ignore[attr-defined]

    def _pod_exec(
        self, name: str, namespace: str, container: str | None, command: list[str], stdin: str
    ) -> ExecResult:
        pod = self._must_get(resolve("pods"), namespace, name)  # type: ignore[attr-defined]
        if not command:
            raise BadRequest("you must specify at least 1 command")
        specs = {c["name"]: c for c in pod["spec"].get("containers") or ()}
        if container is None:
            if len(specs) != 1:
                raise BadRequest(
                    f"a container name must be specified for pod {name}, choose one of: [{' '.join(specs)}]"
                )
            container = next(iter(specs))
        if container not in specs:
            raise BadRequest(f"container {container} is not valid for pod {name}")
        node = pod["spec"].get("nodeName")
        runtime = self.log_source(node) if node and self.log_source is not None else None  # type: ignore[attr-defined]
        if node and runtime is None:
            ip = self._node_ip(node)  # type: ignore[attr-defined]
            raise ApiError(f"error dialing backend: dial tcp {ip}:10250: connect: no route to host")
        statuses = {s["name"]: s for s in (pod.get("status") or {}).get("containerStatuses") or ()}
        status = statuses.get(container) or {}
        if runtime is None or not (status.get("state") or {}).get("running"):
            raise BadRequest(f'unable to upgrade connection: container not found ("{container}")')
        image = normalize(specs[container]["image"])
        now = self.epoch + timedelta(seconds=self.clock.now)  # type: ignore[attr-defined]
        mounted = getattr(runtime, "mounted", None)
        box = Container(pod, specs[container], image, now)
        box.writable = runtime.files.get(status.get("containerID", ""), {})
        box.dns = getattr(self, "dns", None)  # CoreDNS's view, for nslookup/getent
        box.network = getattr(self, "network", None)  # the pod network, for wget and curl
        if mounted is not None:  # what the kubelet gave the container: env and config files
            box.resolved_env = mounted.env_of(pod, container)
            box.config_files = mounted.files_for(pod, specs[container])
            box.config_dirs = mounted.directories_for(pod, specs[container])
        try:
            return run_command(box, command, stdin)
        except NotFoundInPath as missing:
            exec_id = status.get("containerID", "").rpartition("/")[2][:64]
            raise ApiError(
                "Internal error occurred: error executing command in container: failed to exec in container: "
                f'failed to start exec "{exec_id}": OCI runtime exec failed: exec failed: unable to start '
                f'container process: exec: "{missing.program}": executable file not found in $PATH: unknown'
            ) from None
