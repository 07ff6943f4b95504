"""The `send_traffic` lab command: validated with the learner's words, logged as an engine
action, and replayed onto a cluster where it starts the same load source."""

from __future__ import annotations

import pytest

from clusterlab.engine import Cluster
from clusterlab.labs.commands import CommandError, parse_command
from clusterlab.labs.runner import apply_to_cluster
from tests.manifests import WEB_SERVICE

from ..engine.test_traffic_live import deployment


def test_send_traffic_is_validated_and_replays() -> None:
    command = parse_command({"action": "send_traffic", "target": " web ", "rps": "250"})
    assert command.affects_engine
    assert command.args == {"target": "web", "namespace": "default", "rps": 250.0, "path": "/"}
    for bad, message in (
        (
            {"target": "", "rps": "1"},
            "Say where the requests go: a Service name (web, web:8080) or an address IP:PORT.",
        ),
        ({"target": "web", "rps": "many"}, "Requests per second must be a number."),
        ({"target": "web", "rps": "-1"}, "Requests per second must be between 0 and 10000."),
        ({"target": "web", "rps": "1", "path": "index.html"}, "The path must start with /."),
    ):
        with pytest.raises(CommandError) as err:
            parse_command({"action": "send_traffic", **bad})
        assert str(err.value) == message
    cluster = Cluster(seed=3)
    cluster.apply(deployment("web", 2, "app: web") + WEB_SERVICE)
    cluster.advance(40)
    apply_to_cluster(cluster, "send_traffic", command.args)
    cluster.advance(10.5)
    web = cluster.traffic().services[("default", "web")]
    assert (web.requests, web.errors, web.rate) == (2750, 0, 250.0)
