"""ImageLocality (Score): prefer nodes that already have the pod's images.

A node that has an image need not pull it, so the pod starts sooner. For each of the pod's
containers and init containers whose image the node reports in `status.images`, the image's
size counts, scaled by how widely the image has spread: `size × (nodes with the image / all
nodes)`. The scaling keeps pods from piling onto the one node that pulled a large image first
(the "node heating problem"); an image every node has adds its full size everywhere and so
changes nothing. The sum is clamped to `[23 MiB, 1000 MiB × number of containers]` and mapped
linearly onto 0–100, so a node with less than 23 MiB of the pod's images scores 0. Default
weight 1; no NormalizeScore.

Image names are matched as kube-scheduler matches them: the pod's image with `:latest`
appended when it has no tag or digest, compared with every name the node lists for an image.
There is *no* registry normalisation: the kubelet reports the names containerd stores, which
are fully qualified (`docker.io/library/nginx:1.27` and its `@sha256:` digest name), so a pod
that says `image: nginx:1.27` earns no locality score on any node in a real containerd
cluster, while `docker.io/library/nginx:1.27` does. (kube-scheduler's source carries this as a
known TODO.) The simulation keeps that behaviour.

Simplified: kube-scheduler's cache remembers each image name's size from the first node that
reported it; here each node's own reported size is used. The catalogue gives an image one size
everywhere, so the two agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..framework import MAX_NODE_SCORE, CycleState, NodeInfo, ScorePlugin, Scores
from ..node_columns import flagged

MB = 1024 * 1024
MIN_THRESHOLD = 23 * MB
MAX_CONTAINER_THRESHOLD = 1000 * MB
STATE_KEY = "ImageLocalityNumNodes"


def normalized_image_name(name: str) -> str:
    """`normalizedImageName`: add `:latest` when the last `:` is not after the last `/`."""
    if name.rfind(":") <= name.rfind("/"):
        return name + ":latest"
    return name


def calculate_priority(sum_scores: int, num_containers: int) -> int:
    """Clamp the summed image scores and map them onto 0–100."""
    max_threshold = MAX_CONTAINER_THRESHOLD * num_containers
    sum_scores = min(max(sum_scores, MIN_THRESHOLD), max_threshold)
    return MAX_NODE_SCORE * (sum_scores - MIN_THRESHOLD) // (max_threshold - MIN_THRESHOLD)


def scaled_image_score(size: int, num_nodes: int, total_nodes: int) -> int:
    """An image's size, scaled by the fraction of all nodes that have it (truncated, as Go's
    `int64(float64(size) * spread)` truncates)."""
    return int(size * (num_nodes / total_nodes))


def _images(pod: dict[str, Any]) -> list[str]:
    spec = pod["spec"]
    containers = [*(spec.get("initContainers") or ()), *(spec.get("containers") or ())]
    return [normalized_image_name(str(c.get("image") or "")) for c in containers]


class ImageLocality(ScorePlugin):
    name = "ImageLocality"

    def _spread(self, state: CycleState, names: list[str]) -> dict[str, int]:
        """How many of all the scheduler's nodes list each wanted image name, counted once per
        scheduling cycle (kube-scheduler keeps these counts in its cache's image states)."""
        counts = state.get(STATE_KEY)
        if counts is None:
            assert self.handle is not None
            infos = self.handle.node_infos.values()
            counts = {name: sum(1 for info in infos if name in info.images) for name in set(names)}
            state[STATE_KEY] = counts
        return counts

    def score_many(self, state: CycleState, pod: dict[str, Any], nodes: list[NodeInfo]) -> Scores:
        """`score` for many nodes: a node that has none of the pod's images gets the score of
        nothing present without a call (and only nodes that list images are looked at)."""
        names = _images(pod)
        if not names:
            return np.zeros(len(nodes), dtype=np.int64)
        wanted = set(names)
        nothing = calculate_priority(0, len(names))
        score = self.score
        listing = flagged(state, nodes, "has_images")
        if listing is None:
            return [
                score(state, pod, n) if n.images and not wanted.isdisjoint(n.images) else nothing
                for n in nodes
            ]
        out = np.full(len(nodes), nothing, dtype=np.int64)
        for i in listing:
            if not wanted.isdisjoint(nodes[i].images):
                out[i] = score(state, pod, nodes[i])
        return out

    def score(self, state: CycleState, pod: dict[str, Any], node: NodeInfo) -> int:
        assert self.handle is not None
        names = _images(pod)
        if not names:
            return 0
        spread = self._spread(state, names)
        total_nodes = len(self.handle.node_infos)
        total = sum(
            scaled_image_score(node.images[name], spread[name], total_nodes)
            for name in names
            if name in node.images
        )
        return calculate_priority(total, len(names))
