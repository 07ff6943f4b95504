"""kube-scheduler's configuration file, as an administrator changes it on a kubeadm cluster.

On a kubeadm control-plane node kube-scheduler runs as a static pod; to give it profiles an
administrator writes a KubeSchedulerConfiguration to `/etc/kubernetes/scheduler-config.yaml`,
points the manifest's `--config` at it, and the kubelet, seeing the manifest change, kills the
old container and starts a new one, which reads the file as it starts. A file kube-scheduler
cannot read or validate keeps it from starting at all.

Here `configure_scheduler` checks the configuration first and refuses a bad one (nothing
changes), then writes it on every control-plane node that runs kube-scheduler and restarts each
one through its static pod, so the new profiles take effect once a new scheduler has started and
won the leader election. A stopped kube-scheduler (its manifest moved away) reads the file when
it is started again. A scenario may carry the file's content as `schedulerConfiguration:`.

Simplified: the manifest's command line (the `--config` flag and the file's hostPath mount) is
not modelled, and every control-plane node gets the same file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from .control_plane import Component, static_pod
from .errors import BadRequest
from .scheduler.scheduler_config import (
    DEFAULT_CONFIG_YAML,
    SchedulerConfigError,
    SchedulerConfiguration,
    default_configuration,
    read_scheduler_configuration,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from .node.kubelet import Kubelet
    from .scenarios import Scenario


class SchedulerConfigVerbs:
    """Mixed into `Cluster`: read and change kube-scheduler's configuration file."""

    # Provided by Cluster.
    scenario: Scenario
    control_plane: list[Component]
    powered: dict[str, bool]
    component_versions: dict[tuple[str, str], Any]
    _kubelet: Callable[[str], Kubelet]

    def _init_scheduler_config(self) -> None:
        """The file the cluster starts with: the scenario's, or none (one default profile)."""
        raw = self.scenario.scheduler_configuration
        if raw is None:
            self.scheduler_config_yaml = DEFAULT_CONFIG_YAML
            self.scheduler_configuration: SchedulerConfiguration = default_configuration()
            return
        text = raw if isinstance(raw, str) else yaml.safe_dump(raw, sort_keys=False)
        self.scheduler_configuration = _read(text)
        self.scheduler_config_yaml = text

    def configure_scheduler(self, config_yaml: str) -> list[str]:
        """Validate a KubeSchedulerConfiguration (YAML), write it as kube-scheduler's config file
        and restart kube-scheduler wherever it runs; returns the profiles' scheduler names.
        Raises `BadRequest` for a configuration kube-scheduler would refuse (nothing changes)."""
        config = _read(config_yaml)
        self.scheduler_config_yaml = config_yaml
        self.scheduler_configuration = config
        for component in self.control_plane:
            if component.name == "kube-scheduler" and component.enabled:
                self._restart_scheduler(component)
        return config.scheduler_names

    def _restart_scheduler(self, component: Component) -> None:
        """The manifest changed: the kubelet kills the container (the mirror pod goes) and
        runs a new one, which reads the new file."""
        kubelet = self._kubelet(component.node)
        kubelet.remove_static_pod(component.name)
        component.stop()
        version = self.component_versions.get((component.name, component.node), self.scenario.version)
        kubelet.add_static_pod(static_pod(component.name, str(version)))
        if self.powered.get(component.node):
            component.schedule_start()


def _read(text: str) -> SchedulerConfiguration:
    try:
        return read_scheduler_configuration(text)
    except SchedulerConfigError as err:
        raise BadRequest(f"invalid kube-scheduler configuration: {err}") from err
