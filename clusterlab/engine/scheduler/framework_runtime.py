"""The framework runtime: a profile's plugins run at one extension point.

As `pkg/scheduler/framework/runtime/framework.go`, for what the scheduling cycle and plugins
call back into (preemption's dry runs, the NominatedPods pass): `RunFilterPlugins` runs the
profile's Filter plugins in order, less those whose PreFilter said Skip, and the first
rejection is the node's status; `RunFilterPluginsWithNominatedPods` filters a node with the pods
nominated to it of equal or higher priority counted as running there (`addGENominatedPods`),
then without them; `RunPreFilterExtensionAddPod` / `RemovePod` let PreFilter plugins update
their cycle state for a pod added to or removed from a node.

Simplified: kube-scheduler builds one framework object per profile and gives its plugins that
object as their handle; here the scheduler is every handle's `framework`, and the extension
points below are those of the profile of the pod being scheduled (`framework`, which the
scheduling cycle sets by the pod's `schedulerName`). No metrics, no parallel Filter runs.
"""

from __future__ import annotations

from typing import Any

from ..informers import key_of
from ..recorder import EventRecorder
from .framework import (
    ERROR,
    OK,
    BindPlugin,
    CycleState,
    FilterPlugin,
    Handle,
    NodeInfo,
    PermitPlugin,
    Plugin,
    PostBindPlugin,
    PostFilterPlugin,
    PreBindPlugin,
    PreFilterPlugin,
    PreScorePlugin,
    ReservePlugin,
    ScorePlugin,
    Status,
)
from .nominator import Nominator, pod_priority
from .profiles import Framework
from .registry import Profile

Obj = dict[str, Any]


class FrameworkRuntime:
    """The extension points of the current pod's profile, and the runners plugins call."""

    framework: Framework  # the profile of the pod being scheduled
    node_infos: dict[str, NodeInfo]  # the cache's nodes, by name
    nominator: Nominator  # pods preemption nominated, per node

    # -- the current pod's framework -----------------------------------------------------

    @property
    def profile(self) -> Profile:
        return self.framework.profile

    @property
    def handle(self) -> Handle:
        return self.framework.handle  # type: ignore[return-value]

    @property
    def recorder(self) -> EventRecorder:
        return self.handle.recorder  # type: ignore[no-any-return]

    @property
    def plugins(self) -> dict[str, Plugin]:
        return self.framework.plugins

    @property
    def pre_filters(self) -> list[PreFilterPlugin]:
        return self.framework.pre_filters

    @property
    def filters(self) -> list[FilterPlugin]:
        return self.framework.filters

    @property
    def post_filters(self) -> list[PostFilterPlugin]:
        return self.framework.post_filters

    @property
    def pre_scores(self) -> list[PreScorePlugin]:
        return self.framework.pre_scores

    @property
    def scores(self) -> list[tuple[ScorePlugin, int]]:
        return self.framework.scores

    @property
    def reserves(self) -> list[ReservePlugin]:
        return self.framework.reserves

    @property
    def permits(self) -> list[PermitPlugin]:
        return self.framework.permits

    @property
    def pre_binds(self) -> list[PreBindPlugin]:
        return self.framework.pre_binds

    @property
    def binders(self) -> list[BindPlugin]:
        return self.framework.binders

    @property
    def post_binds(self) -> list[PostBindPlugin]:
        return self.framework.post_binds

    # -- what the framework offers plugins (preemption) -------------------------------------

    def run_filter_plugins(self, state: CycleState, pod: Obj, info: NodeInfo) -> Status:
        """`RunFilterPlugins`: the profile's filters in order (less those whose PreFilter
        said Skip); the first rejection is the node's status."""
        skip = state.skip_filter_plugins
        for plugin in self.filters:
            if plugin.name in skip:
                continue
            try:
                st = plugin.filter(state, pod, info)
            except KeyError as missing:  # its PreFilter never ran (an earlier one rejected the pod)
                detail = f'error reading "{missing.args[0]}" from cycleState: not found'
                return Status(ERROR, [f'running "{plugin.name}" filter plugin: {detail}'], plugin.name)
            if not st.ok:
                return st
        return OK

    def add_ge_nominated_pods(
        self, state: CycleState, pod: Obj, info: NodeInfo
    ) -> tuple[bool, CycleState, NodeInfo, Status | None]:
        """`addGENominatedPods`: copies of the state and NodeInfo with the pods nominated to
        this node of equal or higher priority added, and whether there were any."""
        nominated = self.nominator.pods_for_node(info.name)
        if not nominated:
            return False, state, info, None
        me, priority = key_of(pod), pod_priority(pod)
        added = False
        state_out, info_out = state, info
        for key, other in nominated:
            if key == me or pod_priority(other) < priority:
                continue
            if not added:
                state_out, info_out, added = state.clone(), info.clone(), True
            info_out.add_pod(key, other)
            st = self.run_pre_filter_extension_add_pod(state_out, pod, key, other, info_out)
            if not st.ok:
                return False, state, info, Status(ERROR, st.reasons, st.plugin)
        return added, state_out, info_out, None

    def run_filters_with_nominated_pods(self, state: CycleState, pod: Obj, info: NodeInfo) -> Status:
        """`RunFilterPluginsWithNominatedPods`: with the node's nominated pods of equal or
        higher priority counted as running there, then (if there were any and that passed)
        without them — the pod must fit either way."""
        added, state_out, info_out, err = self.add_ge_nominated_pods(state, pod, info)
        if err is not None:
            return err
        st = self.run_filter_plugins(state_out, pod, info_out)
        if not added or not st.ok:
            return st
        return self.run_filter_plugins(state, pod, info)

    def run_pre_filter_extension_add_pod(
        self, state: CycleState, pod: Obj, key: str, to_add: Obj, info: NodeInfo
    ) -> Status:
        skip = state.skip_filter_plugins
        for plugin in self.pre_filters:
            if plugin.name not in skip:
                st = plugin.add_pod(state, pod, key, to_add, info)
                if not st.ok:
                    return st
        return OK

    def run_pre_filter_extension_remove_pod(
        self, state: CycleState, pod: Obj, key: str, to_remove: Obj, info: NodeInfo
    ) -> Status:
        skip = state.skip_filter_plugins
        for plugin in self.pre_filters:
            if plugin.name not in skip:
                st = plugin.remove_pod(state, pod, key, to_remove, info)
                if not st.ok:
                    return st
        return OK
