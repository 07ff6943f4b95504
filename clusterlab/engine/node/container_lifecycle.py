"""The kubelet's part in a container's life: pull, create, start, exit, restart, kill.

Mixed into the Kubelet (which provides `server`, `clock`, `runtime`, `recorder`, `config`,
`pods`, `_pod`, `_later`, `_report`, `_finalize`). What the real kubelet does, on the virtual
clock:
- **Start.** Per container: pull the image as its `imagePullPolicy` says (`Pulling`/`Pulled`,
  `ErrImagePull` → `ImagePullBackOff` with 10 s → 300 s backoff), create (`Created container:
  x`), start (`Started container x`). Init containers run first, one at a time, each to
  completion (exit 0) before the next; sidecars (init containers with `restartPolicy: Always`)
  start and keep running; app containers start once every init container is done.
- **Exit.** PID 1 exits with a code (`images.py` says what each image does): the container is
  terminated with `exitCode`, reason `Completed` (0) or `Error`, `OOMKilled` (137) when the
  kernel killed it for exceeding `limits.memory`, or `StartError` (128) when runc could not
  start it. The kubelet's PLEG relists containers every second (`plegRelistPeriod`), so the
  pod sync that reports the exit runs a second later.
- **Restart.** `restartPolicy` decides: Always restarts every exit, OnFailure non-zero exits,
  Never none (a failed init container then fails the pod); sidecars always restart and
  regular init containers restart on failure unless the policy is Never. A restart waits out
  the per-container crash backoff (`crash_backoff.py`): meanwhile the container waits as
  `CrashLoopBackOff` (`back-off 20s restarting failed container=x pod=p_ns(uid)`) and each
  sync records `Back-off restarting failed container x in pod p_ns(uid)`. The restarted
  instance has a new container ID; the exited one becomes `lastState` (and `logs --previous`).
- **Kill.** A deleted pod's containers run their `preStop` hook (exec, sleep or httpGet), then
  get SIGTERM, then SIGKILL when `terminationGracePeriodSeconds` (what remains of it after the
  hook, at least 2 s — `minimumGracePeriodInSeconds`) runs out: nginx exits at once (0), a
  shell or `sleep` as PID 1 ignores SIGTERM and is killed (137).

Sidecars are stopped once the app containers have stopped, with what remains of the grace period.

Simplified: the pod worker re-syncs a backing-off container when its backoff ends (and every
10 s meanwhile, `backOffPeriod` without its jitter); a real kubelet restarts it at its next
sync after the backoff ends. Sidecars are stopped all at once, not in reverse order.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..quantity import QuantityError, int_value
from ..timefmt import go_duration
from .crash_backoff import CrashBackoff
from .images import RunContext, StartError, launch
from .pod_network import clash, ports_in_use
from .pod_state import ContainerState, PodState, pod_phase
from .processes import Process, ProgramRunner, ShellContext, shell_program
from .runtime import CREATE_SECONDS, KERNEL_VERSION, START_SECONDS, image_id, normalize
from .shell import Container, NotFoundInPath, run_command

Obj = dict[str, Any]

PLEG_RELIST = 1.0  # plegRelistPeriod: how soon the kubelet notices a container exited
SYNC_ERROR_BACKOFF = 10.0  # backOffPeriod: the pod worker's requeue after a sync error
MINIMUM_GRACE = 2.0  # minimumGracePeriodInSeconds (kuberuntime_manager.go)
IMAGE_BACKOFF_INITIAL = 10.0
IMAGE_BACKOFF_MAX = 300.0


class ContainerLifecycle:
    """Kubelet mixin: containers' start, exit, restart and graceful kill."""

    server: Any
    clock: Any
    runtime: Any
    recorder: Any
    config: Any
    volumes: Any  # the node's data volumes (volumes.py)
    pods: dict[str, PodState]
    crash_backoff: CrashBackoff
    ipam: Any
    _survivors: dict[str, PodState] | None

    if TYPE_CHECKING:  # provided by the Kubelet and its config mixin

        def _pod(self, key: str) -> Obj | None: ...
        def _later(self, delay: float, fn: Any, bucket: Any = None) -> Any: ...
        def _report(self, key: str) -> None: ...
        def _finalize(self, pod: Obj) -> None: ...
        def _container_config_ready(self, key: str, index: int) -> bool: ...
        def _probe_killed(self, key: str, index: int, cid: str) -> None: ...

    # -- which container ------------------------------------------------------------------------

    @staticmethod
    def _slot(st: PodState, init: bool, index: int) -> ContainerState:
        return (st.init_containers if init else st.containers)[index]

    @staticmethod
    def _spec_of(pod: Obj, init: bool, index: int) -> Obj:
        return pod["spec"]["initContainers" if init else "containers"][index]  # type: ignore[no-any-return]

    @staticmethod
    def _field_path(init: bool, name: str) -> str:
        return f"spec.{'initContainers' if init else 'containers'}{{{name}}}"

    # -- starting ---------------------------------------------------------------------------------

    def _start_containers(self, key: str) -> None:
        """The pod sync's start step: the next init container, or the app containers."""
        st = self.pods.get(key)
        if st is None or st.terminating or st.finished:
            return
        for i, c in enumerate(st.init_containers):
            if c.sidecar and c.started_at is not None:
                continue
            if not c.sidecar and c.succeeded():
                continue
            if c.state == "running" or c.process is not None:
                return  # still running: its exit moves the pod on
            self._launch(key, True, i, self._after_init_start(key, c.sidecar))
            return
        self._chain_from(key, 0)

    def _after_init_start(self, key: str, sidecar: bool) -> Any:
        """What follows an init container's start: a sidecar lets the next one start at once; a
        regular init container must first exit."""
        return (lambda: self._start_containers(key)) if sidecar else (lambda: self._report(key))

    def _chain_from(self, key: str, index: int) -> None:
        """Start the app containers from `index` on that have never started (one at a time, as
        SyncPod does); those that ran before are the restart logic's."""
        st = self.pods.get(key)
        if st is None:
            return
        while index < len(st.containers) and (
            st.containers[index].process is not None or st.containers[index].container_id
        ):
            index += 1
        self._next_container(key, index)

    def _next_container(self, key: str, index: int, chain: bool = True) -> None:
        """Start app container `index` (and, with `chain`, the ones after it)."""
        st = self.pods.get(key)
        if st is None or st.terminating or st.finished:
            return
        if index < len(st.containers) and st.containers[index].process is not None:
            self._chain_from(key, index + 1) if chain else self._report(key)
            return
        if index >= len(st.containers):
            self._report(key)
            return
        then = (lambda: self._chain_from(key, index + 1)) if chain else (lambda: self._report(key))
        self._launch(key, False, index, then)

    def _launch(self, key: str, init: bool, index: int, then: Any) -> None:
        """Pull (as the pull policy says), create and start one container; `then` once started."""
        st = self.pods.get(key)
        pod = self._pod(key)
        if st is None or pod is None or st.terminating:
            return
        spec = self._spec_of(pod, init, index)
        cs = self._slot(st, init, index)
        image = spec["image"]
        policy = spec.get("imagePullPolicy", "IfNotPresent")
        field_path = self._field_path(init, spec["name"])
        present = self.runtime.has_image(image)
        if policy == "Never" and not present:
            self._waiting(
                cs, "ErrImageNeverPull", f'Container image "{image}" is not present with pull policy of Never'
            )
            self.recorder.event(pod, "Warning", "ErrImageNeverPull", cs.message, field_path)
            self._report(key)
            return
        if present and policy in ("IfNotPresent", "Never"):
            self.recorder.event(
                pod, "Normal", "Pulled", f'Container image "{image}" already present on machine', field_path
            )
            self._create_container(key, init, index, then)
            return
        backoff_until = st.image_backoff.get(image)
        if backoff_until is not None and backoff_until > self.clock.now:
            return
        self.recorder.event(pod, "Normal", "Pulling", f'Pulling image "{image}"', field_path)
        requested = self.clock.now
        result = self.runtime.pull(image)

        def done() -> None:
            p = self._pod(key)
            s = self.pods.get(key)
            if p is None or s is None or s.terminating:
                return
            if result.ok:
                self.runtime.finish_pull(image, result.size)
                s.image_backoff.pop(image, None)
                self.recorder.event(
                    p,
                    "Normal",
                    "Pulled",
                    (
                        f'Successfully pulled image "{image}" in {go_duration(result.pull_seconds)} '
                        f"({go_duration(self.clock.now - requested)} including waiting). "
                        f"Image size: {result.size} bytes."
                    ),
                    field_path,
                )
                self._create_container(key, init, index, then)
                return
            self._image_pull_failed(key, init, index, then, image, result.error, field_path)

        self._later(result.done_at - self.clock.now, done, st.timers)

    @staticmethod
    def _waiting(cs: ContainerState, reason: str, message: str) -> None:
        """The container waits with `reason`; an exited instance stays as `lastState`."""
        if cs.state == "terminated" and cs.container_id:
            cs.last_state = {"terminated": cs.terminated()}
        cs.state, cs.reason, cs.message = "waiting", reason, message

    def _image_pull_failed(
        self, key: str, init: bool, index: int, then: Any, image: str, error: str, field_path: str
    ) -> None:
        st, pod = self.pods.get(key), self._pod(key)
        if st is None or pod is None:
            return
        cs = self._slot(st, init, index)
        self.recorder.event(pod, "Warning", "Failed", f'Failed to pull image "{image}": {error}', field_path)
        self.recorder.event(pod, "Warning", "Failed", "Error: ErrImagePull", field_path)
        self._waiting(cs, "ErrImagePull", error)
        self._report(key)
        previous = st.image_backoff.get(f"{image}#delay", 0.0)
        delay = IMAGE_BACKOFF_INITIAL if previous == 0 else min(previous * 2, IMAGE_BACKOFF_MAX)
        st.image_backoff[f"{image}#delay"] = delay
        # at the clock's resolution, so the retry timer does not find itself still backing off
        st.image_backoff[image] = round(self.clock.now + delay, 6)

        def enter_backoff() -> None:
            s, p = self.pods.get(key), self._pod(key)
            if s is None or p is None or s.terminating:
                return
            c = self._slot(s, init, index)
            c.reason, c.message = "ImagePullBackOff", f'Back-off pulling image "{image}"'
            self.recorder.event(p, "Normal", "BackOff", f'Back-off pulling image "{image}"', field_path)
            self.recorder.event(p, "Warning", "Failed", "Error: ImagePullBackOff", field_path)
            self._report(key)

        # The next pod sync (about a second later) finds the image in backoff.
        self._later(1.0, enter_backoff, st.timers)
        self._later(delay, lambda: self._launch(key, init, index, then), st.timers)

    def _create_container(self, key: str, init: bool, index: int, then: Any) -> None:
        def created() -> None:
            st, pod = self.pods.get(key), self._pod(key)
            if st is None or pod is None or st.terminating:
                return
            if not init and not self._container_config_ready(key, index):
                return
            cs = self._slot(st, init, index)
            spec = self._spec_of(pod, init, index)
            if cs.container_id:  # a new instance: the exited one becomes lastState
                cs.last_state = {"terminated": cs.terminated()} if cs.state == "terminated" else cs.last_state
                cs.restart_count += 1
            cs.container_id = self.runtime.new_container_id()
            # its writable layer, with the pod's data volumes mounted over it (volumes.py)
            self.runtime.files[cs.container_id] = self.volumes.container_files({}, pod, spec)
            cs.image_id = image_id(spec["image"])
            # containerd reports the resolved reference: docker.io/library/nginx:1.27
            cs.image = normalize(spec["image"])
            cs.oom_killed = False
            cs.stopping, cs.probe_kill = False, None  # a new instance: no kill of it under way
            field_path = self._field_path(init, cs.name)
            self.recorder.event(pod, "Normal", "Created", f"Created container: {cs.name}", field_path)
            self._later(START_SECONDS, started, st.timers)

        def started() -> None:
            st, pod = self.pods.get(key), self._pod(key)
            if st is None or pod is None or st.terminating:
                return
            self._start_process(key, init, index, pod, st)
            then()

        st = self.pods[key]
        self._later(CREATE_SECONDS, created, st.timers)

    def _env_of(self, pod: Obj, spec: Obj) -> dict[str, str]:
        """The container's environment as the kubelet built it (literal values otherwise)."""
        resolved = self.runtime.mounted.env_of(pod, spec["name"])
        if resolved is not None:
            return dict(resolved)
        return {v["name"]: str(v.get("value", "")) for v in spec.get("env") or () if "name" in v}

    def _program_runner(self, pod: Obj, spec: Obj, files: dict[str, str]) -> Any:
        """How a process in this container runs a program it does not build in (`shell.py`)."""
        image = normalize(spec["image"])

        def run(argv: list[str]) -> tuple[int, str, str, float]:
            box = Container(pod, spec, image, self.server.epoch + timedelta(seconds=self.clock.now))
            box.resolved_env = list(self._env_of(pod, spec).items())
            box.writable = files
            box.dns = getattr(self.server, "dns", None)  # for nslookup/getent in a script
            box.network = getattr(self.server, "network", None)  # for wget and curl
            try:
                result = run_command(box, argv)
            except NotFoundInPath:
                return 127, "", "", 0.0
            return result.exit_code, result.stdout, result.stderr, result.seconds

        return ProgramRunner(run)

    def _start_process(self, key: str, init: bool, index: int, pod: Obj, st: PodState) -> None:
        cs = self._slot(st, init, index)
        spec = self._spec_of(pod, init, index)
        cid = cs.container_id or ""
        field_path = self._field_path(init, cs.name)
        files: dict[str, str] = self.runtime.files.setdefault(cid, {})  # its writable layer
        ctx = RunContext(
            cs.image,
            spec,
            self._env_of(pod, spec),
            files,
            self.clock.now,
            self.server.epoch,
            st.pod_ip or self.config.internal_ip,
            self.config.cpu,
            KERNEL_VERSION,
            self._program_runner(pod, spec, files),
        )
        cs.started_at = self.server.timestamp()
        try:
            launched = launch(ctx)
        except StartError as exc:
            self.recorder.event(pod, "Warning", "Failed", f"Error: {exc.message}", field_path)
            cs.state, cs.message = "running", ""
            self._exited(key, init, index, cid, 128, "StartError", exc.message)
            return
        # the pod's containers share one port space: a port a sibling holds fails its bind()
        all_specs = [*(pod["spec"].get("initContainers") or ()), *pod["spec"]["containers"]]
        siblings = {c["name"]: c for c in all_specs}
        taken = ports_in_use(st.all_containers(), siblings, pod["metadata"]["name"], cs.name)
        if taken:
            name = pod["metadata"]["name"]
            launched = clash(launched, cs.image, spec, name, taken, self.clock.now, self.server.epoch)
        cs.state, cs.reason, cs.message = "running", "", ""
        cs.term_seconds, cs.term_code = launched.term_seconds, launched.term_code
        cs.started_clock = self.clock.now
        self.runtime.start_container(cid, cs.image, launched.startup)
        process = Process(
            launched.program,
            later=self._process_later,
            write=lambda text: self.runtime.write(cid, text),
            on_exit=lambda code: self._exited(key, init, index, cid, code),
            on_alloc=lambda size: self._allocated(key, init, index, cid, size),
        )
        cs.process = process
        self.recorder.event(pod, "Normal", "Started", f"Started container {cs.name}", field_path)
        process.start()

    def _process_later(self, delay: float, fn: Any) -> Any:
        """A process's own timer: it lives as long as the process (the kubelet may restart)."""
        return self.clock.call_later(delay, fn)

    def _allocated(self, key: str, init: bool, index: int, cid: str, size: int) -> bool:
        """The kernel's memory cgroup: over `limits.memory`, the OOM killer ends the container."""
        st, pod = self.pods.get(key), self._pod(key)
        if st is None or pod is None:
            return True
        cs = self._slot(st, init, index)
        raw = ((self._spec_of(pod, init, index).get("resources") or {}).get("limits") or {}).get("memory")
        try:
            limit = int_value(str(raw)) if raw is not None else None
        except QuantityError:
            limit = None
        if limit is None or size <= limit or cs.process is None:
            return True
        cs.oom_killed = True
        cs.process.exit(137)
        return False

    # -- exits and restarts ---------------------------------------------------------------------

    def _exited(
        self, key: str, init: bool, index: int, cid: str, code: int, reason: str = "", message: str = ""
    ) -> None:
        """PID 1 of container instance `cid` ended with `code`."""
        st = self.pods.get(key) or (self._survivors or {}).get(key)
        if st is None:
            return
        cs = self._slot(st, init, index)
        if cs.container_id != cid or cs.state != "running":
            return
        cs.process = None
        if not reason:
            reason = "OOMKilled" if cs.oom_killed else ("Completed" if code == 0 else "Error")
        cs.state, cs.exit_code, cs.reason, cs.message = "terminated", code, reason, message
        cs.finished_at = self.server.timestamp()
        cs.finished_clock = self.clock.now
        self.runtime.container_exited(cid)
        if self.pods.get(key) is not st:
            return  # the kubelet process is down: its PLEG sees the exit once it is back
        if st.terminating:
            if any(c.process is not None for c in st.all_containers()):
                self._report(key)  # others still stopping
            self._termination_progress(key)
            return
        if cs.probe_kill is not None and not init:
            self._probe_killed(key, index, cid)  # the sync that killed it goes on to restart it
            return
        self._later(PLEG_RELIST, lambda: self._container_died(key, init, index, cid), st.timers)

    def _resync_adopted(self) -> None:
        """A restarted kubelet's first syncs of the pods it adopted: containers that exited while
        it was down (or were waiting to restart) are handled as after any exit."""
        for key, st in sorted(self.pods.items()):
            if st.finished:
                continue
            for init, group in ((True, st.init_containers), (False, st.containers)):
                for i, cs in enumerate(group):
                    cid = cs.container_id or ""
                    if cs.state == "terminated":
                        sync = self._container_died
                    elif cs.state == "waiting" and cid:
                        sync = self._sync_restart
                    else:
                        continue
                    self._later(PLEG_RELIST, lambda f=sync, k=key, n=init, j=i, c=cid: f(k, n, j, c))

    def _container_died(self, key: str, init: bool, index: int, cid: str) -> None:
        """The pod sync after the PLEG saw the container exit: report it, then restart it (after
        its backoff) or leave it, as the restart policy says."""
        st, pod = self.pods.get(key), self._pod(key)
        if st is None or pod is None or st.terminating:
            return
        cs = self._slot(st, init, index)
        if cs.container_id != cid or cs.state != "terminated":
            return
        policy = pod["spec"].get("restartPolicy", "Always")
        if cs.sidecar:
            restart = True
        elif init:
            restart = cs.exit_code != 0 and policy != "Never"
        else:
            restart = policy == "Always" or (policy == "OnFailure" and cs.exit_code != 0)
        self._report(key)
        if init and not cs.sidecar and cs.exit_code == 0:
            self._start_containers(key)
            return
        if restart:
            self._sync_restart(key, init, index, cid)
            return
        self._check_finished(key)

    def _sync_restart(self, key: str, init: bool, index: int, cid: str, announced: bool = False) -> None:
        """`doBackOff`, then the restart: one pod sync for a container that should restart."""
        st, pod = self.pods.get(key), self._pod(key)
        if st is None or pod is None or st.terminating:
            return
        cs = self._slot(st, init, index)
        if cs.container_id != cid or cs.state == "running":
            return
        meta = pod["metadata"]
        who = f"{meta['name']}_{meta.get('namespace', 'default')}({meta['uid']})"
        bkey = f"{meta['uid']}/{'init/' if init else ''}{cs.name}"
        finished = cs.finished_clock
        if announced:  # the previous sync's CrashLoopBackOff now shows in the status
            delay = go_duration(self.crash_backoff.get(bkey))
            message = f"back-off {delay} restarting failed container={cs.name} pod={who}"
            self._waiting(cs, "CrashLoopBackOff", message)
            self._report(key)
        now = self.clock.now
        if self.crash_backoff.in_backoff(bkey, finished, now):
            self.recorder.event(
                pod,
                "Warning",
                "BackOff",
                f"Back-off restarting failed container {cs.name} in pod {who}",
                self._field_path(init, cs.name),
            )
            wake = min(now + SYNC_ERROR_BACKOFF, finished + self.crash_backoff.get(bkey))
            self._later(
                max(0.0, round(wake - now, 6)),
                lambda: self._sync_restart(key, init, index, cid, True),
                st.timers,
            )
            return
        self.crash_backoff.next(bkey, finished, now)
        then = self._after_init_start(key, cs.sidecar) if init else (lambda: self._report(key))
        self._launch(key, init, index, then)

    def _check_finished(self, key: str) -> None:
        """Every container has stopped for good: the pod is Succeeded or Failed; the kubelet
        tears its sandbox down (its IP is released) and stops any sidecar."""
        st, pod = self.pods.get(key), self._pod(key)
        if st is None or pod is None:
            return
        if pod_phase(pod["spec"].get("restartPolicy", "Always"), st) not in ("Succeeded", "Failed"):
            return
        for cs in st.all_containers():
            if cs.process is not None:
                cs.process.stop()
                cs.process = None
                cs.state, cs.exit_code, cs.reason = "terminated", 0, "Completed"
                cs.finished_at = self.server.timestamp()
                self.runtime.container_exited(cs.container_id or "")
        st.finished = True
        st.sandbox_ready = False
        st.cancel_timers()
        if st.pod_ip:
            self.ipam.release(st.pod_ip)
        self._report(key)

    # -- killing ----------------------------------------------------------------------------------

    def _kill_container(
        self, key: str, init: bool, index: int, grace: float, message: str | None = None
    ) -> None:
        """preStop, then SIGTERM, then SIGKILL when the grace period is over. `message`: the
        `Killing` event's (default `Stopping container x`)."""
        st, pod = self.pods.get(key), self._pod(key)
        if st is None or pod is None:
            return
        cs = self._slot(st, init, index)
        process, cid = cs.process, cs.container_id
        if process is None:
            return
        spec = self._spec_of(pod, init, index)
        cs.stopping = True
        self.recorder.event(
            pod,
            "Normal",
            "Killing",
            message or f"Stopping container {cs.name}",
            self._field_path(init, cs.name),
        )
        started = self.clock.now
        hook = ((spec.get("lifecycle") or {}).get("preStop")) or {}

        def signal() -> None:
            if cs.process is not process or not process.alive:
                return
            remaining = max(MINIMUM_GRACE, grace - (self.clock.now - started))
            if cs.term_seconds is not None and cs.term_seconds < remaining:
                self._later(cs.term_seconds, lambda: process.exit(cs.term_code), st.timers)
            else:
                self._later(remaining, lambda: process.exit(137), st.timers)

        if "exec" in hook:
            command = [str(w) for w in (hook["exec"].get("command") or [])]
            files = self.runtime.files.get(cid or "", {})
            ctx = ShellContext(self._env_of(pod, spec), files, self._program_runner(pod, spec, files))
            done = {"flag": False}

            def hook_done(_code: int) -> None:
                if not done["flag"]:
                    done["flag"] = True
                    signal()

            hook_process = Process(
                shell_program(command, ctx),
                later=self._process_later,
                write=lambda _t: None,
                on_exit=hook_done,
            )
            hook_process.start()
            if not done["flag"]:
                self._later(grace, lambda: hook_done(137), st.timers)
            return
        if "sleep" in hook:
            seconds = float((hook["sleep"] or {}).get("seconds") or 0)
            self._later(min(seconds, grace), signal, st.timers)
            return
        signal()

    def _termination_progress(self, key: str) -> None:
        """A container of a terminating pod stopped: once the app containers have, the sidecars
        are stopped (with what remains of the grace period); once none runs, the pod is removed."""
        st, pod = self.pods.get(key), self._pod(key)
        if st is None:
            return
        if not any(c.process is not None for c in st.all_containers() if not c.sidecar):
            for i, c in enumerate(st.init_containers):
                if c.sidecar and c.process is not None and not c.stopping:
                    self._kill_container(key, True, i, max(0.0, st.kill_deadline - self.clock.now))
        if any(c.process is not None for c in st.all_containers()):
            return
        st.sandbox_ready = False
        if st.eviction is not None:  # evicted: the pod stays, Failed, unless it is being deleted
            st.terminating, st.finished = False, True
            if st.pod_ip:
                self.ipam.release(st.pod_ip)
            self._report(key)
            if pod is None or not pod["metadata"].get("deletionTimestamp"):
                return
        self._report(key)
        if pod is not None:
            self._finalize(pod)
