"""A DaemonSet's RollingUpdate: replace the daemon pods node by node.

As `pkg/controller/daemon/update.go` (`rollingUpdate`, `updatedDesiredNodeCounts`,
`findUpdatedPodsOnNode`), for the RollingUpdate strategy once expectations are met: with
`maxSurge` 0, old pods are deleted while fewer than `maxUnavailable` (of the desired nodes,
rounded up) nodes are unavailable — `manage` then creates the new pod once the old one has
gone; with `maxSurge`, a new pod starts beside the old one on up to `maxSurge` nodes and the
old one is deleted when the new one is available.

Simplified: where Kubernetes walks nodes in Go's random map order (the choice of the next
nodes) this walks them by name, so runs are repeatable.
"""

from __future__ import annotations

from typing import Any

from .daemon_pods import is_pod_updated, node_should_run
from .daemonset_manage import DaemonSetManage, template_generation
from .rollout_math import scaled_value

Obj = dict[str, Any]


class DaemonSetRollingUpdate(DaemonSetManage):
    """`rollingUpdate`."""

    def _rolling_update(self, ds: Obj, nodes: list[Obj], hash_: str) -> None:
        """`rollingUpdate` (update.go)."""
        node_to_pods = self._node_to_pods(ds)
        by_name = {n["metadata"]["name"]: n for n in nodes}
        desired = 0
        for node in nodes:
            if node_should_run(node, ds)[0]:
                desired += 1
                node_to_pods.setdefault(node["metadata"]["name"], [])
        ru = (ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}
        max_unavailable = scaled_value(ru.get("maxUnavailable", 0), desired, True)
        max_surge = scaled_value(ru.get("maxSurge", 0), desired, True)
        if desired > 0 and max_unavailable == 0 and max_surge == 0:
            max_unavailable = 1
        generation = template_generation(ds)
        dsname = ds["metadata"]["name"]
        if max_surge == 0:
            unavailable = 0
            replace: list[str] = []
            candidates: list[tuple[str, str]] = []
            for node_name in sorted(node_to_pods):
                found = self._updated_on_node(node_to_pods[node_name], hash_, generation)
                if found is None:
                    unavailable += 1
                    continue
                new, old = found
                if (old is None) == (new is None):
                    unavailable += 1
                elif new is not None:
                    if not self._available(new, ds):
                        unavailable += 1
                elif old is not None:
                    if not self._available(old, ds):
                        replace.append(old["metadata"]["name"])
                        unavailable += 1
                    elif unavailable < max_unavailable:
                        candidates.append((old["metadata"]["name"], node_name))
            room = min(max(max_unavailable - unavailable, 0), len(candidates))
            chosen = candidates[:room]
            to_delete = replace + [name for name, _ in chosen]
            if to_delete:
                text = (
                    f"DaemonSet {dsname}: rolling update, maxUnavailable {max_unavailable} of {desired} "
                    f"nodes, {unavailable} unavailable"
                )
                if replace:
                    text += f"; replace unavailable old pods {', '.join(replace)}"
                if chosen:
                    text += "; delete old pod " + ", ".join(f"{p} on {n}" for p, n in chosen)
                self.explain(ds, text)
            self._sync_nodes(ds, to_delete, [], hash_)
            return
        old_to_delete: list[str] = []
        should_not_run: list[str] = []
        candidate_nodes: list[str] = []
        allowed_nodes: list[str] = []
        surge = 0
        available = 0
        for node_name in sorted(node_to_pods):
            found = self._updated_on_node(node_to_pods[node_name], hash_, generation)
            if found is None:
                surge += 1
                continue
            new, old = found
            if old is not None:
                available += self._available(old, ds)
            elif new is not None:
                available += self._available(new, ds)
            node = by_name.get(node_name)
            runs_here = node is not None and node_should_run(node, ds)[0]
            if old is None:
                continue
            if new is None:
                if not self._available(old, ds):
                    if not runs_here:
                        old_to_delete.append(old["metadata"]["name"])
                        continue
                    allowed_nodes.append(node_name)
                elif not runs_here:
                    should_not_run.append(old["metadata"]["name"])
                elif surge < max_surge:
                    candidate_nodes.append(node_name)
                continue
            if not self._available(new, ds):
                surge += 1
                continue
            old_to_delete.append(old["metadata"]["name"])
        deletable = min(max(available - desired, 0), len(should_not_run))
        old_to_delete += should_not_run[:deletable]
        room = min(max(max_surge - surge, 0), len(candidate_nodes))
        new_nodes = allowed_nodes + candidate_nodes[:room]
        if old_to_delete or new_nodes:
            text = (
                f"DaemonSet {dsname}: rolling update, maxSurge {max_surge} of {desired} nodes, "
                f"{surge} surging"
            )
            if new_nodes:
                text += f"; start new pods on {', '.join(new_nodes)}"
            if old_to_delete:
                text += f"; delete old pods {', '.join(old_to_delete)} (their replacements are available)"
            self.explain(ds, text)
        self._sync_nodes(ds, old_to_delete, new_nodes, hash_)

    @staticmethod
    def _updated_on_node(
        pods: list[Obj], hash_: str, generation: int | None
    ) -> tuple[Obj | None, Obj | None] | None:
        """`findUpdatedPodsOnNode`: (new pod, old pod), or None if a node has two of a kind."""
        new = old = None
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            if is_pod_updated(pod, hash_, generation):
                if new is not None:
                    return None
                new = pod
            else:
                if old is not None:
                    return None
                old = pod
        return new, old
