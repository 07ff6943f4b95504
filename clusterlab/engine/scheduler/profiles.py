"""One framework per profile: a profile's plugins, built, and sorted by extension point.

kube-scheduler builds a `frameworkImpl` for each profile of its configuration
(`pkg/scheduler/profile`: a map from schedulerName to framework) and routes each pod to the
framework its `spec.schedulerName` names; one scheduling queue and one cache serve them all.
A pod naming no profile is never picked up (no event: that scheduler may simply be another
binary). Building a framework instantiates each plugin the profile enables, with its args
(a plugin refuses bad args, which stops the scheduler from starting), then places them at
each extension point — explicit entries, multiPoint expansion, disabled sets — and checks
what kube-scheduler checks: the plugin exists, implements the extension point it is enabled
at, is not registered there twice, and at least one Bind plugin remains.

Simplified: QueueSort (PrioritySort) is the queue's own behaviour here, not a plugin; it may
be named in a configuration but cannot be replaced. PreEnqueue plugins (SchedulingGates) are
plugins, which the scheduling queue runs.
"""

from __future__ import annotations

from typing import Any

from .framework import (
    BindPlugin,
    FilterPlugin,
    Handle,
    PermitPlugin,
    Plugin,
    PostBindPlugin,
    PostFilterPlugin,
    PreBindPlugin,
    PreEnqueuePlugin,
    PreFilterPlugin,
    PreScorePlugin,
    ReservePlugin,
    ScorePlugin,
)
from .registry import REGISTRY, Profile

# extension point (as the configuration spells it) → the interface a plugin there implements
POINT_TYPES: dict[str, type[Plugin]] = {
    "preEnqueue": PreEnqueuePlugin,
    "preFilter": PreFilterPlugin,
    "filter": FilterPlugin,
    "postFilter": PostFilterPlugin,
    "preScore": PreScorePlugin,
    "score": ScorePlugin,
    "reserve": ReservePlugin,
    "permit": PermitPlugin,
    "preBind": PreBindPlugin,
    "bind": BindPlugin,
    "postBind": PostBindPlugin,
}
# The order kube-scheduler fills the extension points in (`getExtensionPoints`).
BUILD_ORDER = (
    "preFilter",
    "filter",
    "postFilter",
    "reserve",
    "preScore",
    "score",
    "preBind",
    "bind",
    "postBind",
    "permit",
    "preEnqueue",
    "queueSort",
)
# Built into the queue here: the default QueueSort plugin.
QUEUE_PLUGINS = {"PrioritySort": "queueSort"}


class FrameworkError(ValueError):
    """A profile kube-scheduler would refuse to start with; the text is its error."""


class Framework:
    """One profile's plugins per extension point, and the Handle they share."""

    def __init__(self, profile: Profile, handle: Handle | None) -> None:
        self.profile = profile
        self.handle = handle
        self.plugins: dict[str, Plugin] = {}
        for name in profile.plugin_names():
            if name in QUEUE_PLUGINS:
                continue
            cls = REGISTRY.get(name)
            if cls is None:
                point = _first_point(profile, name)
                raise FrameworkError(f'{_type_name(point)} "{name}" does not exist')
            try:
                self.plugins[name] = cls(profile.plugin_args.get(name), handle)
            except (ValueError, TypeError, KeyError) as err:
                raise FrameworkError(f'initializing plugin "{name}": {err}') from err
        for point, plugins in profile.enabled_at.items():
            seen: set[str] = set()
            for name, _ in plugins:
                if name in QUEUE_PLUGINS:
                    if QUEUE_PLUGINS[name] != point:
                        raise FrameworkError(f'plugin "{name}" does not extend {_type_name(point)} plugin')
                    continue
                if point in QUEUE_PLUGINS.values():
                    raise FrameworkError(f'plugin "{name}" does not extend {_type_name(point)} plugin')
                if not isinstance(self.plugins[name], POINT_TYPES[point]):
                    raise FrameworkError(f'plugin "{name}" does not extend {_type_name(point)} plugin')
                if name in seen:
                    raise FrameworkError(f'plugin "{name}" already registered as "{_type_name(point)}"')
                seen.add(name)
        multi = [name for name, _ in profile.multi_point]
        for name in multi:
            if multi.count(name) > 1:
                point = next(
                    (p for p, t in POINT_TYPES.items() if isinstance(self.plugins.get(name), t)), "queueSort"
                )
                raise FrameworkError(f'plugin "{name}" already registered as "{_type_name(point)}"')

        self.pre_enqueues: list[PreEnqueuePlugin] = self._at("preEnqueue", PreEnqueuePlugin)
        self.pre_filters: list[PreFilterPlugin] = self._at("preFilter", PreFilterPlugin)
        self.filters: list[FilterPlugin] = self._at("filter", FilterPlugin)
        self.post_filters: list[PostFilterPlugin] = self._at("postFilter", PostFilterPlugin)
        self.pre_scores: list[PreScorePlugin] = self._at("preScore", PreScorePlugin)
        self.scores: list[tuple[ScorePlugin, int]] = [
            (p, profile.weight_of(p.name)) for p in self._at("score", ScorePlugin)
        ]
        self.reserves: list[ReservePlugin] = self._at("reserve", ReservePlugin)
        self.permits: list[PermitPlugin] = self._at("permit", PermitPlugin)
        self.pre_binds: list[PreBindPlugin] = self._at("preBind", PreBindPlugin)
        self.binders: list[BindPlugin] = self._at("bind", BindPlugin)
        self.post_binds: list[PostBindPlugin] = self._at("postBind", PostBindPlugin)
        if not self.binders:
            name = profile.scheduler_name
            raise FrameworkError(
                f'at least one bind plugin is needed for profile with scheduler name "{name}"'
            )

    def _at(self, point: str, kind: type) -> list[Any]:
        return [p for name in self.profile.enabled(point) if isinstance(p := self.plugins.get(name), kind)]


def _type_name(point: str) -> str:
    """The Go interface name kube-scheduler's messages use (`FilterPlugin`)."""
    return point[0].upper() + point[1:] + "Plugin"


def _first_point(profile: Profile, name: str) -> str:
    """Where an unknown plugin is first met, in the order kube-scheduler builds the points."""
    for point in BUILD_ORDER:
        if any(n == name for n, _ in profile.enabled_at.get(point, ())):
            return point
    return "preFilter"  # multiPoint: the first extension point expanded


def new_map(profiles: list[Profile], make_handle: Any) -> dict[str, Framework]:
    """`profile.NewMap`: a framework per profile, by schedulerName; `make_handle(profile)`
    gives each its Handle (its own event recorder, the shared cache)."""
    frameworks: dict[str, Framework] = {}
    for profile in profiles:
        try:
            frameworks[profile.scheduler_name] = Framework(profile, make_handle(profile))
        except FrameworkError as err:
            name = profile.scheduler_name
            raise FrameworkError(f"creating profile for scheduler name {name}: {err}") from err
    return frameworks
