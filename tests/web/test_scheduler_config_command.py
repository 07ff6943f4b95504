"""The lab's `configure_scheduler` command: validated like kube-scheduler validates its file,
logged and replayed, shown in its own fragment, and refused with an error notice."""

from __future__ import annotations

import pytest

from clusterlab.engine import Cluster
from clusterlab.engine.scheduler.scheduler_config import DEFAULT_CONFIG_YAML
from clusterlab.labs import live
from clusterlab.labs.commands import Command, CommandError, parse_command
from clusterlab.labs.fragments import render_fragments
from clusterlab.labs.models import Lab, LabCommand
from clusterlab.labs.runner import LabRunner

from .helpers import command, communicator_for, receive_until

BIN_PACKER = """apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
  - schedulerName: default-scheduler
  - schedulerName: bin-packer  # <b>packs</b>
    pluginConfig:
      - name: NodeResourcesFit
        args:
          scoringStrategy:
            type: MostAllocated
"""
BAD_YAML = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles: [\n"


def test_a_valid_configuration_is_a_command_with_unix_line_ends() -> None:
    sent = {"action": "configure_scheduler", "config": BIN_PACKER.replace("\n", "\r\n")}
    assert parse_command(sent) == Command("configure_scheduler", {"config": BIN_PACKER})
    assert Command("configure_scheduler", {"config": BIN_PACKER}).affects_engine


@pytest.mark.parametrize(
    ("config", "error"),
    [
        ("", "Paste a KubeSchedulerConfiguration (YAML) to apply."),
        (
            BAD_YAML,
            "kube-scheduler would not start with this configuration: error converting YAML to JSON: "
            "yaml: line 4: expected the node content, but found '<stream end>'",
        ),
        (
            BIN_PACKER.replace("bin-packer", "default-scheduler"),
            "kube-scheduler would not start with this configuration: profiles[1].schedulerName: "
            'Duplicate value: "default-scheduler"',
        ),
        ("x" * 12_001, "The configuration is longer than 12000 characters."),
    ],
)
def test_a_configuration_kube_scheduler_would_refuse_is_not_a_command(config: str, error: str) -> None:
    with pytest.raises(CommandError) as info:
        parse_command({"action": "configure_scheduler", "config": config})
    assert str(info.value) == error


def test_the_command_is_logged_replayed_and_shown() -> None:
    runner = LabRunner("lab1", Cluster.from_scenario("default", seed=7), speed=60)
    first = {f.dom_id: f for f in runner.tick(0.2)}
    assert 'data-testid="scheduler-profiles">default-scheduler<' in first["scheduler-config"].render()
    entry = runner.execute(Command("configure_scheduler", {"config": BIN_PACKER}), "learner")
    assert (
        entry is not None and entry.action == "configure_scheduler" and entry.args == {"config": BIN_PACKER}
    )
    changed = {f.dom_id: f for f in runner.tick(0.1)}
    for _ in range(3):
        runner.tick(0.1)
    assert list(runner.cluster.scheduler.frameworks) == ["default-scheduler", "bin-packer"]  # type: ignore[union-attr]
    html = changed["scheduler-config"].render()
    assert 'data-testid="scheduler-profiles">default-scheduler, bin-packer<' in html
    assert "# &lt;b&gt;packs&lt;/b&gt;" in html and "<b>packs" not in html  # the file is escaped
    assert "Apply and restart kube-scheduler" in html

    rebuilt = LabRunner.from_log(
        "lab1", scenario="default", seed=7, commands=[entry], virtual_time=runner.now
    )
    assert rebuilt.cluster.scheduler_config_yaml == BIN_PACKER
    assert list(rebuilt.cluster.scheduler.frameworks) == ["default-scheduler", "bin-packer"]  # type: ignore[union-attr]
    assert rebuilt.cluster.state() == runner.cluster.state()


def test_the_file_is_read_only_on_a_rewound_board() -> None:
    runner = LabRunner("lab1", Cluster.from_scenario("bin-packing", seed=7))
    fragment = next(f for f in runner.fragments() if f.dom_id == "scheduler-config")
    html = render_fragments([fragment])
    assert 'name="config"' in html  # the live page has the form
    fragment.context["readonly"] = True
    assert 'name="config"' not in fragment.render() and "bin-packer" in fragment.render()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_labs")
async def test_bad_yaml_gets_an_error_notice_and_changes_nothing(
    session_lab: Lab, owner_session: str
) -> None:
    communicator = communicator_for(session_lab.id, owner_session)
    await communicator.connect()
    try:
        await communicator.receive_from(timeout=5)
        await communicator.send_to(text_data=command("configure_scheduler", config=BAD_YAML))
        notice = await receive_until(communicator, lambda html: 'id="lab-error"' in html)
        assert "kube-scheduler would not start with this configuration" in notice
        assert "expected the node content, but found &#x27;&lt;stream end&gt;&#x27;" in notice
    finally:
        await communicator.disconnect()
    assert await LabCommand.objects.filter(lab=session_lab).acount() == 0
    running = live.running_lab(session_lab.id)
    assert running is not None
    assert running.runner.cluster.scheduler_config_yaml == DEFAULT_CONFIG_YAML
