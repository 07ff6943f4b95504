"""`kubectl describe node`, as kubectl's `NodeDescriber` prints it.

Requests as kubectl sends them: the Node, its Lease (`kube-node-lease`), the node's
non-terminated pods (`fieldSelector=spec.nodeName=<n>,status.phase!=Succeeded,
status.phase!=Failed`) and its Events (kubectl asks twice: by the node's uid and by its name
as uid, since kubelets record node events with the name as uid). The text: Roles, Labels,
Annotations, Taints, Unschedulable, Lease, the Conditions table, Addresses, Capacity,
Allocatable, System Info, PodCIDR(s), the Non-terminated Pods table with each pod's requests
and limits as a share of allocatable, and Allocated resources.

Simplified: pod requests are the sum over app containers (init containers and pod overhead
are not folded in); quantities print in kubectl's canonical form for the usual cases
(`250m`, `1`, `128Mi`, `1Gi`).
"""

from __future__ import annotations

import re
from datetime import datetime
from fractions import Fraction
from typing import Any

from .printers.ages import since

Obj = dict[str, Any]
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000), "": Fraction(1)}
_DECIMAL.update({"k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9), "T": Fraction(10**12)})
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$")


def parse_quantity(text: Any) -> tuple[Fraction, bool]:
    """(value, binary suffix?) of a quantity; unparseable text counts as 0."""
    m = _QUANTITY.match(str(text).strip())
    if not m:
        return Fraction(0), False
    number, suffix = Fraction(m.group(1)), m.group(2) or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix], True
    if suffix[:1] in ("e", "E"):
        return number * Fraction(10) ** int(suffix[1:]), False
    return number * _DECIMAL.get(suffix, Fraction(1)), False


def format_quantity(value: Fraction, binary: bool) -> str:
    """`resource.Quantity.String()` for the common cases."""
    if value == 0:
        return "0"
    if binary and value.denominator == 1:
        for suffix, size in reversed(_BINARY.items()):
            if value % size == 0:
                return f"{value // size}{suffix}"
        return str(value.numerator)
    if value.denominator == 1:
        return str(value.numerator)
    milli = value * 1000
    return f"{milli.numerator // milli.denominator}m" if milli.denominator == 1 else f"{float(value)}"


def _pod_totals(pod: Obj) -> dict[str, dict[str, tuple[Fraction, bool]]]:
    out: dict[str, dict[str, tuple[Fraction, bool]]] = {"requests": {}, "limits": {}}
    for c in (pod.get("spec") or {}).get("containers") or []:
        res = c.get("resources") or {}
        for kind in ("requests", "limits"):
            for name, q in (res.get(kind) or {}).items():
                value, binary = parse_quantity(q)
                prev = out[kind].get(name, (Fraction(0), binary))
                out[kind][name] = (prev[0] + value, prev[1])
    return out  # (a limit without a request was already defaulted into one by the API server)


def _share(value: Fraction, allocatable: Fraction) -> int:
    return int(float(value) / float(allocatable) * 100) if allocatable else 0


def _cell(totals: dict[str, tuple[Fraction, bool]], name: str, allocatable: Obj) -> str:
    value, binary = totals.get(name, (Fraction(0), name == "memory"))
    alloc, _ = parse_quantity(allocatable.get(name, "0"))
    return f"{format_quantity(value, binary)} ({_share(value, alloc)}%)"


def _taints(taints: list[Obj]) -> str:
    if not taints:
        return "Taints:\t<none>\n"
    ordered = [
        t
        for effect in ("NoSchedule", "PreferNoSchedule", "NoExecute")
        for t in taints
        if t.get("effect") == effect
    ]
    ordered += [t for t in taints if t not in ordered]
    out = ""
    for i, t in enumerate(ordered):
        text = t.get("key", "") + (f"={t['value']}" if t.get("value") else "") + f":{t.get('effect', '')}"
        out += ("Taints:\t" if i == 0 else "\t") + text + "\n"
    return out


def roles(node: Obj) -> str:
    found = set()
    for key, value in ((node.get("metadata") or {}).get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/") and key.split("/", 1)[1]:
            found.add(key.split("/", 1)[1])
        elif key == "kubernetes.io/role" and value:
            found.add(value)
    return ",".join(sorted(found)) or "<none>"


def describe_node(
    node: Obj,
    lease: Obj | None,
    lease_error: str,
    pods: list[Obj],
    events: list[Obj] | None,
    now: datetime | None,
) -> str:
    from .describe import _events, _multiline, rfc1123z

    meta, spec, st = node.get("metadata") or {}, node.get("spec") or {}, node.get("status") or {}
    out = f"Name:\t{meta.get('name')}\nRoles:\t{roles(node)}\n"
    out += _multiline("Labels", meta.get("labels"))
    out += _multiline("Annotations", meta.get("annotations"), ": ")
    out += f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n"
    out += _taints(spec.get("taints") or [])
    out += f"Unschedulable:\t{'true' if spec.get('unschedulable') else 'false'}\n"
    if lease is not None:
        lspec = lease.get("spec") or {}
        acquire = rfc1123z(lspec["acquireTime"]) if lspec.get("acquireTime") else "<unset>"
        renew = rfc1123z(lspec["renewTime"]) if lspec.get("renewTime") else "<unset>"
        out += f"Lease:\n  HolderIdentity:\t{lspec.get('holderIdentity', '<unset>')}\n"
        out += f"  AcquireTime:\t{acquire}\n  RenewTime:\t{renew}\n"
    else:
        out += f"Lease:\tFailed to get lease: {lease_error}\n"
    conditions = st.get("conditions") or []
    if conditions:
        out += "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n"
        out += "  ----\t------\t-----------------\t------------------\t------\t-------\n"
        for c in conditions:
            out += (
                f"  {c.get('type')} \t{c.get('status')} \t{rfc1123z(c.get('lastHeartbeatTime'))} \t"
                f"{rfc1123z(c.get('lastTransitionTime'))} \t{c.get('reason', '')} \t{c.get('message', '')}\n"
            )
    if st.get("addresses"):
        out += "Addresses:\n" + "".join(f"  {a.get('type')}:\t{a.get('address')}\n" for a in st["addresses"])
    for title, key in (("Capacity", "capacity"), ("Allocatable", "allocatable")):
        if st.get(key):
            out += f"{title}:\n" + "".join(f"  {k}:\t{v}\n" for k, v in sorted(st[key].items()))
    info = st.get("nodeInfo") or {}
    fields = [
        ("Machine ID", "machineID"), ("System UUID", "systemUUID"), ("Boot ID", "bootID"),
        ("Kernel Version", "kernelVersion"), ("OS Image", "osImage"), ("Operating System", "operatingSystem"),
        ("Architecture", "architecture"), ("Container Runtime Version", "containerRuntimeVersion"),
        ("Kubelet Version", "kubeletVersion"), ("Kube-Proxy Version", "kubeProxyVersion"),
    ]  # fmt: skip
    out += "System Info:\n" + "".join(f"  {label}:\t{info.get(key, '')}\n" for label, key in fields)
    if spec.get("podCIDR"):
        out += f"PodCIDR:\t{spec['podCIDR']}\n"
    if spec.get("podCIDRs"):
        out += f"PodCIDRs:\t{','.join(spec['podCIDRs'])}\n"
    if spec.get("providerID"):
        out += f"ProviderID:\t{spec['providerID']}\n"
    allocatable = st.get("allocatable") or {}
    out += f"Non-terminated Pods:\t({len(pods)} in total)\n"
    out += "  Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n"
    out += "  ---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n"
    sums: dict[str, dict[str, tuple[Fraction, bool]]] = {"requests": {}, "limits": {}}
    for pod in pods:
        t = _pod_totals(pod)
        pm = pod.get("metadata") or {}
        out += (
            f"  {pm.get('namespace')}\t{pm.get('name')}\t\t{_cell(t['requests'], 'cpu', allocatable)}\t"
            f"{_cell(t['limits'], 'cpu', allocatable)}\t{_cell(t['requests'], 'memory', allocatable)}\t"
            f"{_cell(t['limits'], 'memory', allocatable)}\t{since(pm.get('creationTimestamp'), now)}\n"
        )
        for kind in ("requests", "limits"):
            for name, (value, binary) in t[kind].items():
                prev = sums[kind].get(name, (Fraction(0), binary))
                sums[kind][name] = (prev[0] + value, prev[1])
    out += "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n"
    out += "  Resource\tRequests\tLimits\n  --------\t--------\t------\n"
    names = ["cpu", "memory", "ephemeral-storage"]
    names += [n for n in sorted(allocatable) if n.startswith("hugepages-") or "/" in n]
    for name in names:
        requests = _cell(sums["requests"], name, allocatable)
        out += f"  {name}\t{requests}\t{_cell(sums['limits'], name, allocatable)}\n"
    if events is not None:
        out += _events(events, now)
    return out
