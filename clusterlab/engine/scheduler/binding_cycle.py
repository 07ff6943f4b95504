"""The binding cycle: Reserve, Permit, PreBind, Bind, PostBind for the node chosen.

As `pkg/scheduler/schedule_one.go` (`bindingCycle`, `handleBindingCycleError`) with the
framework runtime's `RunReservePluginsReserve`, `RunPermitPlugins`, `RunPreBindPlugins`,
`RunBindPlugins` and `RunPostBindPlugins`: the pod is already assumed on the node in the cache;
Reserve plugins reserve what they account for, Permit plugins may reject, PreBind plugins
prepare the node (VolumeBinding binds the pod's claims), the first Bind plugin that does not
Skip binds through `pods/binding`, and PostBind plugins are told. A failure unreserves every
Reserve plugin in reverse order, forgets the assumed pod and sends it back to the queue (to the
unschedulable pool when a plugin rejected it); a success is the `Scheduled` event.

Simplified: kube-scheduler runs Reserve and Permit at the end of the scheduling cycle and the
rest in a goroutine of its own; here they all run right after the scheduling cycle, and a
PreBind plugin that waits (for volumes to be bound) is asked again every `WAIT_POLL_SECONDS`
of virtual time while the scheduler goes on with other pods.
"""

from __future__ import annotations

from typing import Any

from ..clock import Clock
from .event_handlers import EventHandlers
from .framework import (
    SKIP,
    UNRESOLVABLE,
    UNSCHEDULABLE,
    WAIT,
    WAIT_POLL_SECONDS,
    CycleState,
    Diagnosis,
    Status,
)

Obj = dict[str, Any]


class BindingCycle(EventHandlers):
    """The pod assumed on its node is reserved, permitted, bound, or sent back to the queue."""

    clock: Clock
    running: bool

    def _binding_waits(self, key: str, pod: Obj, node: str, diagnosis: Diagnosis) -> None:
        """A PreBind plugin waits (for volumes to be bound): the pod stays assumed on the node
        while the scheduler goes on with other pods; its binding cycle resumes after a poll."""

        def resume() -> None:
            if not self.running or self.pod_node.get(key) != node:
                return  # the scheduler stopped, or the pod was deleted meanwhile
            self.framework = self.frameworks[pod["spec"].get("schedulerName", "default-scheduler")]
            failed = self._pre_bind_and_bind(diagnosis.state, pod, node)
            if failed is not None and failed.code == WAIT:
                self._binding_waits(key, pod, node, diagnosis)
                return
            self._binding_done(key, pod, node, diagnosis, failed)

        self.clock.call_later(WAIT_POLL_SECONDS, resume)

    def _binding_done(
        self, key: str, pod: Obj, node: str, diagnosis: Diagnosis, failed: Status | None
    ) -> None:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        if failed is not None:
            diagnosis.bind_error = failed.message()
            info = self.node_infos.get(node)
            if info is not None:
                info.remove_pod(key)
            self.pod_node.pop(key, None)
            rejected = failed.code in (UNSCHEDULABLE, UNRESOLVABLE) and failed.plugin
            self.queue.add_unschedulable(key, (failed.plugin,) if rejected else ())
            return
        self.queue.done(key)
        self.recorder.event(pod, "Normal", "Scheduled", f"Successfully assigned {ns}/{name} to {node}")

    def _reserve_permit_bind(self, state: CycleState, pod: Obj, node: str) -> Status | None:
        """Reserve → Permit → PreBind → Bind → PostBind; on a failure every Reserve plugin
        is unreserved, in reverse order, and the failing status returned."""
        failed: Status | None = None
        for plugin in self.reserves:
            st = plugin.reserve(state, pod, node)
            if not st.ok:
                failed = st
                break
        if failed is None:
            for plugin in self.permits:
                st = plugin.permit(state, pod, node)
                if not st.ok:
                    failed = st
                    break
        if failed is None:
            return self._pre_bind_and_bind(state, pod, node)
        for plugin in reversed(self.reserves):
            plugin.unreserve(state, pod, node)
        return failed

    def _pre_bind_and_bind(self, state: CycleState, pod: Obj, node: str) -> Status | None:
        """PreBind → Bind → PostBind (the binding cycle); a PreBind plugin that waits returns
        its WAIT status and is asked again (PreBind plugins are idempotent)."""
        failed: Status | None = None
        for plugin in self.pre_binds:
            st = plugin.pre_bind(state, pod, node)
            if st.code == WAIT:
                return st
            if not st.ok:
                failed = st
                break
        if failed is None:
            for plugin in self.binders:
                st = plugin.bind(state, pod, node)
                if st.code == SKIP:
                    continue
                if not st.ok:
                    failed = st
                break
        if failed is not None:
            for plugin in reversed(self.reserves):
                plugin.unreserve(state, pod, node)
            return failed
        for plugin in self.post_binds:
            plugin.post_bind(state, pod, node)
        return None
