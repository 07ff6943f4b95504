"""pods/log read once and followed: options as kube-apiserver validates them, the kubelet's
selection (since, tail, timestamps, limitBytes), and a follower that ends with its container."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from clusterlab.engine import Cluster, Invalid
from clusterlab.engine.cluster import LEARNER
from clusterlab.engine.pod_logs import LogOptions

from .test_subresources import NGINX_LOG

SOLO = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "solo"},
    "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
}


@pytest.fixture
def c() -> Cluster:
    """A pod whose container has just started (its start-up output is still being written)."""
    cluster = Cluster.from_scenario("default", seed=7)
    cluster.server.create(LEARNER, SOLO)
    while not _running(cluster):
        cluster.advance(0.05)
    return cluster


def _running(c: Cluster) -> bool:
    statuses = (c.get("pod", "solo", "default").get("status") or {}).get("containerStatuses") or []
    return bool(statuses) and "running" in statuses[0]["state"]


def test_a_follower_gets_each_line_as_it_is_written_and_ends_with_the_container(c: Cluster) -> None:
    reader = c.server.open_pod_log(LEARNER, "solo", "default", LogOptions(follow=True))
    chunks = [reader.read()]
    assert chunks[0] and NGINX_LOG[0] in chunks[0]
    assert "start worker process" not in chunks[0]  # the container is still writing its start-up
    assert reader.read() == ""  # nothing new while the clock stands still
    for _ in range(30):
        c.advance(0.05)
        chunks.append(reader.read())
    assert len([chunk for chunk in chunks if chunk]) >= 2  # it came in pieces, as written
    whole = c.server.pod_log(LEARNER, "solo", "default")
    assert "".join(chunks) == whole and whole.splitlines()[:9] == NGINX_LOG
    assert not reader.finished()
    c.server.delete(LEARNER, "pods", "solo", "default")
    assert not reader.finished()  # the kubelet has not stopped the container yet
    c.advance(2)
    assert reader.finished()
    assert reader.read() == ""


def test_limit_bytes_cuts_the_output_and_ends_a_follow(c: Cluster) -> None:
    reader = c.server.open_pod_log(LEARNER, "solo", "default", LogOptions(limit_bytes=20, follow=True))
    assert reader.read() == NGINX_LOG[0][:20]
    assert reader.finished()
    c.advance(1)
    assert reader.read() == ""
    assert c.server.pod_log(LEARNER, "solo", "default", limit_bytes=5, tail_lines=1) == "2026/"


def test_since_time_and_tail_select_the_first_answer_only(c: Cluster) -> None:
    c.advance(1)
    stamped = c.server.pod_log(LEARNER, "solo", "default", timestamps=True).splitlines()
    written = datetime.fromisoformat(stamped[7].split(" ", 1)[0][:26] + "+00:00")
    since = (written - timedelta(milliseconds=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert c.server.pod_log(LEARNER, "solo", "default", since_time=since).splitlines()[0] == NGINX_LOG[7]
    assert c.server.pod_log(LEARNER, "solo", "default", since_time="2026-01-01T10:00:00Z") == ""
    reader = c.server.open_pod_log(LEARNER, "solo", "default", LogOptions(tail_lines=0, follow=True))
    assert reader.read() == ""
    assert not reader.finished()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (LogOptions(tail_lines=-1), 'PodLogOptions "solo" is invalid: tailLines: Invalid value: -1: '
         "must be greater than or equal to 0"),
        (LogOptions(limit_bytes=0), 'PodLogOptions "solo" is invalid: limitBytes: Invalid value: 0: '
         "must be greater than 0"),
        (LogOptions(since_seconds=0), 'PodLogOptions "solo" is invalid: sinceSeconds: Invalid value: 0: '
         "must be greater than 0"),
        (LogOptions(since_seconds=5, since_time="2026-01-01T09:00:00Z"), 'PodLogOptions "solo" is invalid: '
         ": Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified"),
    ],
)  # fmt: skip
def test_bad_options_are_refused_as_kube_apiserver_refuses_them(
    c: Cluster, options: LogOptions, message: str
) -> None:
    with pytest.raises(Invalid) as bad:
        c.server.open_pod_log(LEARNER, "solo", "default", options)
    assert bad.value.message == message
