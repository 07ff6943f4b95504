"""`kubectl describe daemonset`, as kubectl 1.32's `DaemonSetDescriber` writes it: Name (and,
unlike most describers of 1.32, no Namespace), Selector, Node-Selector (`<none>` when the
template has none), Labels, Annotations, the status' node counts (desired, current,
up-to-date, available, misscheduled), `Pods Status: R Running / W Waiting / S Succeeded / F
Failed` over the pods its selector matches that it controls, the Pod Template, then the
Events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

Obj = dict[str, Any]


def describe_daemonset(ds: Obj, pods: list[Obj], events: list[Obj] | None, now: datetime | None) -> str:
    from .describe import _events, _multiline
    from .describe_more import pod_template, pods_status, selector_text

    meta, spec, st = ds.get("metadata") or {}, ds.get("spec") or {}, ds.get("status") or {}
    node_selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector") or {}
    out = f"Name:\t{meta.get('name')}\n"  # kubectl 1.32 prints no Namespace line for a DaemonSet
    out += f"Selector:\t{selector_text(spec.get('selector'))}\n"
    out += f"Node-Selector:\t{','.join(f'{k}={v}' for k, v in sorted(node_selector.items())) or '<none>'}\n"
    out += _multiline("Labels", meta.get("labels"))
    out += _multiline("Annotations", meta.get("annotations"), ": ")
    out += f"Desired Number of Nodes Scheduled: {int(st.get('desiredNumberScheduled', 0))}\n"
    out += f"Current Number of Nodes Scheduled: {int(st.get('currentNumberScheduled', 0))}\n"
    out += f"Number of Nodes Scheduled with Up-to-date Pods: {int(st.get('updatedNumberScheduled', 0))}\n"
    out += f"Number of Nodes Scheduled with Available Pods: {int(st.get('numberAvailable', 0))}\n"
    out += f"Number of Nodes Misscheduled: {int(st.get('numberMisscheduled', 0))}\n"
    out += pods_status(meta, pods)
    out += pod_template(spec.get("template") or {})
    if events is not None:
        out += _events(events, now)
    return out
