"""Validation of the commands a lab page sends."""

from __future__ import annotations

import pytest

from clusterlab.labs.commands import Command, CommandError, parse_command


def test_form_fields_arrive_as_strings_and_are_converted() -> None:
    message = {"action": "scale", "deployment": "web", "replicas": "4", "HEADERS": {"HX-Request": "true"}}
    assert parse_command(message) == Command("scale", {"deployment": "web", "replicas": 4})


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"action": "kill_node", "node": "worker-1"}, Command("kill_node", {"node": "worker-1"})),
        ({"action": "restore_node", "node": " worker-2 "}, Command("restore_node", {"node": "worker-2"})),
        ({"action": "create_sample"}, Command("create_sample", {})),
        ({"action": "pause"}, Command("pause", {})),
        ({"action": "play"}, Command("play", {})),
        ({"action": "step", "seconds": "10"}, Command("step", {"seconds": 10})),
        ({"action": "speed", "speed": "600"}, Command("speed", {"speed": 600})),
        (
            {"action": "scale", "deployment": "web", "namespace": "team-a", "replicas": 0},
            Command("scale", {"deployment": "web", "namespace": "team-a", "replicas": 0}),
        ),
    ],
)
def test_valid_commands(message: dict[str, object], expected: Command) -> None:
    assert parse_command(message) == expected


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ([], "must be a JSON object"),
        ({}, "Unknown action None"),
        ({"action": "rm -rf"}, "Unknown action 'rm -rf'"),
        ({"action": "kill_node"}, "Missing node name"),
        ({"action": "kill_node", "node": "Worker_1"}, "not a valid node name"),
        ({"action": "scale", "deployment": "web", "replicas": "many"}, "whole number"),
        ({"action": "scale", "deployment": "web", "replicas": "-1"}, "between 0 and 100"),
        ({"action": "scale", "deployment": "web", "replicas": True}, "whole number"),
        ({"action": "scale", "replicas": "3"}, "Missing deployment name"),
        ({"action": "step", "seconds": "5"}, "1 or 10"),
        ({"action": "speed", "speed": "2"}, "Speed must be one of"),
    ],
)
def test_invalid_commands_say_what_is_wrong(message: object, error: str) -> None:
    with pytest.raises(CommandError, match=error):
        parse_command(message)


def test_only_cluster_changing_commands_are_logged() -> None:
    assert Command("kill_node", {"node": "worker-1"}).affects_engine
    assert Command("create_sample").affects_engine
    assert not Command("pause").affects_engine
    assert not Command("speed", {"speed": 10}).affects_engine
