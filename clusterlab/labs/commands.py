"""Commands a learner sends to a lab, and their validation.

A websocket message from an htmx ``ws-send`` form is a JSON object of the form's fields plus a
``HEADERS`` key, e.g. ``{"action": "scale", "deployment": "web", "replicas": "4", "HEADERS": {...}}``.
``parse_command`` turns it into a :class:`Command` or raises :class:`CommandError` with a message
fit to show the learner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from clusterlab.engine.scheduler.scheduler_config import SchedulerConfigError, read_scheduler_configuration
from clusterlab.labs.models import SPEEDS

#: Commands that change the engine's state: logged, and replayed to rebuild a lab.
ENGINE_ACTIONS = frozenset(
    {
        "kill_node",
        "restore_node",
        "scale",
        "create_sample",
        "stop_component",
        "start_component",
        "etcd_snapshot",
        "etcd_restore",
        "upgrade_cluster",
        "configure_scheduler",
        "set_load",
        "send_traffic",
    }
)
#: Commands about the clock only.
CLOCK_ACTIONS = frozenset({"pause", "play", "step", "speed"})
ACTIONS = ENGINE_ACTIONS | CLOCK_ACTIONS

STEP_SECONDS = (1, 10)
#: What `stop_component` / `start_component` may name: the control plane, and per node the
#: kubelet and kube-proxy.
COMPONENTS = ("kube-apiserver", "etcd", "kube-scheduler", "kube-controller-manager", "kubelet", "kube-proxy")
MAX_REPLICAS = 100
#: The most load a `set_load` command puts on a workload (units of its image's busy profile).
MAX_LOAD = 100
MAX_SELECTOR_CHARS = 500
#: The most requests per second a `send_traffic` load source sends, and the longest target.
MAX_RPS = 10_000
MAX_TARGET_CHARS = 300
#: The longest kube-scheduler configuration file a lab accepts (it fits one websocket message).
MAX_SCHEDULER_CONFIG_CHARS = 12_000

_VERSION = re.compile(r"^v\d{1,2}\.\d{1,3}\.\d{1,3}$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


class CommandError(ValueError):
    """A message that is not a valid command; the text is shown to the learner."""


@dataclass(frozen=True)
class Command:
    """A validated command: an action and its (JSON-serialisable) arguments."""

    action: str
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def affects_engine(self) -> bool:
        """True when the command changes the cluster (so it is logged and replayed)."""
        return self.action in ENGINE_ACTIONS


def _name(raw: Any, what: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise CommandError(f"Missing {what} name.")
    name = raw.strip()
    if not _DNS_SUBDOMAIN.match(name):
        raise CommandError(f"{name[:64]!r} is not a valid {what} name.")
    return name


def _int(raw: Any, what: str) -> int:
    if isinstance(raw, bool):
        raise CommandError(f"{what} must be a whole number.")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\s*-?\d{1,9}\s*", raw):
        return int(raw)
    raise CommandError(f"{what} must be a whole number.")


def _scheduler_config(raw: Any) -> str:
    """A KubeSchedulerConfiguration kube-scheduler would accept, as YAML text."""
    if not isinstance(raw, str) or not raw.strip():
        raise CommandError("Paste a KubeSchedulerConfiguration (YAML) to apply.")
    if len(raw) > MAX_SCHEDULER_CONFIG_CHARS:
        raise CommandError(f"The configuration is longer than {MAX_SCHEDULER_CONFIG_CHARS} characters.")
    text = raw.replace("\r\n", "\n")  # a textarea sends CRLF line ends
    try:
        read_scheduler_configuration(text)
    except SchedulerConfigError as error:
        raise CommandError(f"kube-scheduler would not start with this configuration: {error}") from error
    return text


def parse_command(message: Any) -> Command:
    """Validate a decoded websocket message and return the command it asks for."""
    if not isinstance(message, dict):
        raise CommandError("A command must be a JSON object.")
    action = message.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        shown = action[:40] if isinstance(action, str) else action
        raise CommandError(f"Unknown action {shown!r}.")

    if action in ("kill_node", "restore_node"):
        return Command(action, {"node": _name(message.get("node"), "node")})
    args: dict[str, Any]
    if action in ("stop_component", "start_component"):
        component = message.get("component")
        if component not in COMPONENTS:
            shown = component[:40] if isinstance(component, str) else component
            raise CommandError(f"Unknown component {shown!r}.")
        args = {"component": component}
        if message.get("node") not in (None, ""):
            args["node"] = _name(message.get("node"), "node")
        return Command(action, args)
    if action == "upgrade_cluster":
        version = message.get("version")
        if not isinstance(version, str) or not _VERSION.match(version.strip()):
            raise CommandError("A version looks like v1.33.0.")
        return Command(action, {"version": version.strip()})
    if action == "configure_scheduler":
        return Command(action, {"config": _scheduler_config(message.get("config"))})
    if action in ("etcd_snapshot", "etcd_restore"):
        return Command(action, {"name": _name(message.get("name"), "snapshot")})
    if action == "scale":
        replicas = _int(message.get("replicas"), "Replicas")
        if not 0 <= replicas <= MAX_REPLICAS:
            raise CommandError(f"Replicas must be between 0 and {MAX_REPLICAS}.")
        args = {"deployment": _name(message.get("deployment"), "deployment")}
        if message.get("namespace") not in (None, ""):
            args["namespace"] = _name(message.get("namespace"), "namespace")
        args["replicas"] = replicas
        return Command(action, args)
    if action == "set_load":
        selector = message.get("selector")
        if not isinstance(selector, str) or not selector.strip() or len(selector) > MAX_SELECTOR_CHARS:
            raise CommandError("Say which pods get the load with a label selector, e.g. run=php-apache.")
        try:
            load = float(str(message.get("load", "")).strip())
        except ValueError as error:
            raise CommandError("Load must be a number.") from error
        if not 0 <= load <= MAX_LOAD:
            raise CommandError(f"Load must be between 0 and {MAX_LOAD}.")
        args = {"selector": selector.strip(), "namespace": "default", "load": load}
        if message.get("namespace") not in (None, ""):
            args["namespace"] = _name(message.get("namespace"), "namespace")
        return Command(action, args)
    if action == "send_traffic":
        target = message.get("target")
        if not isinstance(target, str) or not target.strip() or len(target) > MAX_TARGET_CHARS:
            raise CommandError(
                "Say where the requests go: a Service name (web, web:8080) or an address IP:PORT."
            )
        try:
            rps = float(str(message.get("rps", "")).strip())
        except ValueError as error:
            raise CommandError("Requests per second must be a number.") from error
        if not 0 <= rps <= MAX_RPS:
            raise CommandError(f"Requests per second must be between 0 and {MAX_RPS}.")
        path = message.get("path") or "/"
        if not isinstance(path, str) or not path.startswith("/") or len(path) > MAX_TARGET_CHARS:
            raise CommandError("The path must start with /.")
        args = {"target": target.strip(), "namespace": "default", "rps": rps, "path": path}
        if message.get("namespace") not in (None, ""):
            args["namespace"] = _name(message.get("namespace"), "namespace")
        return Command(action, args)
    if action == "step":
        seconds = _int(message.get("seconds"), "Step")
        if seconds not in STEP_SECONDS:
            raise CommandError("Step must be 1 or 10 seconds.")
        return Command(action, {"seconds": seconds})
    if action == "speed":
        speed = _int(message.get("speed"), "Speed")
        if speed not in SPEEDS:
            raise CommandError("Speed must be one of " + ", ".join(str(s) for s in SPEEDS) + ".")
        return Command(action, {"speed": speed})
    return Command(action, {})
