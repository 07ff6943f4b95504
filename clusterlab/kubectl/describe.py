"""`kubectl describe` for pods and deployments (others: a generic view), with their Events.

Requests as kubectl sends them: `GET` the object, then
`GET .../events?fieldSelector=involvedObject.name=<n>,involvedObject.namespace=<ns>,
involvedObject.uid=<uid>&limit=500`. The text follows kubectl's describers (`describe.go`):
`Name:`, `Namespace:`, ... written through a tabwriter with minwidth 0 and padding 2, nested
sections indented two spaces a level, times in RFC 1123 with a numeric zone, labels one a
line, and the Events table (`Type Reason Age From Message`, ages `5m`, `3m (x4 over 10m)`).

Simplified: the pod describer omits resources, the details of volumes other than
projected ones (the service-account token volume), topology spread
and readiness gates; the deployment describer omits the ReplicaSet lines' details beyond
`NewReplicaSet`; kinds other than Pod and Deployment get a generic `Name/Namespace/Labels/
Annotations/Kind` view. Ages use the cluster clock passed to `run(now=...)`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .context import Ctx
from .describe_config import describe_configmap, describe_secret
from .describe_daemonset import describe_daemonset
from .describe_endpoints import describe_endpoint_slice, describe_endpoints
from .describe_env import config_volume_lines, env_from_lines, env_lines
from .describe_hpa import describe_hpa
from .describe_ingress import describe_ingress_class, describe_ingress_from
from .describe_job import describe_cronjob, describe_job
from .describe_more import describe_namespace, describe_replicaset, pod_template, selector_text
from .describe_netpol import describe_network_policy
from .describe_node import describe_node
from .describe_pdb import describe_pdb
from .describe_policy import describe_limit_range, describe_priority_class, describe_quota
from .describe_probe import probe_lines
from .describe_service import describe_service
from .describe_statefulset import describe_statefulset
from .describe_storage import data_volume_lines, describe_storage
from .discovery import Resource
from .errors import CommandError
from .printers.ages import parse_time, since
from .printers.tabwriter import tabwriter
from .transport import ApiStatusError

Obj = dict[str, Any]


def rfc1123z(text: str | None) -> str:
    t = parse_time(text)
    return t.strftime("%a, %d %b %Y %H:%M:%S +0000") if t else "<unknown>"


def _multiline(title: str, values: dict[str, str] | None, sep: str = "=", indent: str = "") -> str:
    if sep != "=":  # annotations: kubectl never shows the last-applied configuration
        values = {
            k: v for k, v in (values or {}).items() if k != "kubectl.kubernetes.io/last-applied-configuration"
        }
    if not values:
        return f"{indent}{title}:\t<none>\n"
    out = ""
    for i, k in enumerate(sorted(values)):
        out += f"{indent}{title}:\t" if i == 0 else f"{indent}\t"
        out += f"{k}{sep}{values[k]}\n"
    return out


def _tolerations(tols: list[Obj] | None, title: str = "Tolerations") -> str:
    if not tols:
        return f"{title}:\t<none>\n"
    out = ""
    for i, t in enumerate(tols):
        out += f"{title}:\t" if i == 0 else "\t"
        text = t.get("key", "")
        if t.get("value"):
            text += f"={t['value']}"
        if t.get("effect"):
            text += f":{t['effect']}"
        if t.get("operator") == "Exists" and not t.get("value"):
            text += " op=Exists" if text else "op=Exists"
        if t.get("tolerationSeconds") is not None:
            text += f" for {t['tolerationSeconds']}s"
        out += text + "\n"
    return out


def _events(events: list[Obj], now: datetime | None) -> str:
    if not events:
        return "Events:\t<none>\n"
    out = "Events:\n  Type\tReason\tAge\tFrom\tMessage\n  ----\t------\t----\t----\t-------\n"
    for e in sorted(events, key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or ""):
        first = e.get("firstTimestamp") or e.get("eventTime")
        count = e.get("count") or (e.get("series") or {}).get("count") or 0
        if count > 1:
            age = f"{since(e.get('lastTimestamp'), now)} (x{count} over {since(first, now)})"
        else:
            age = since(first, now)
        src = e.get("source") or {}
        source = src.get("component") or e.get("reportingComponent") or ""  # kubectl 1.32 omits the host
        message = str(e.get("message") or "").strip()
        out += f"  {e.get('type', '')}\t{e.get('reason', '')}\t{age}\t{source}\t{message}\n"
    return out


def _container_state(label: str, state: Obj, indent: str) -> str:
    if "running" in state:
        return (
            f"{indent}{label}:\tRunning\n{indent}  Started:\t{rfc1123z(state['running'].get('startedAt'))}\n"
        )
    if "waiting" in state:
        out = f"{indent}{label}:\tWaiting\n"
        if state["waiting"].get("reason"):
            out += f"{indent}  Reason:\t{state['waiting']['reason']}\n"
        return out
    if "terminated" in state:
        t = state["terminated"]
        out = f"{indent}{label}:\tTerminated\n"
        if t.get("reason"):
            out += f"{indent}  Reason:\t{t['reason']}\n"
        out += f"{indent}  Exit Code:\t{t.get('exitCode', 0)}\n"
        out += (
            f"{indent}  Started:\t{rfc1123z(t.get('startedAt'))}\n{indent}  "
            f"Finished:\t{rfc1123z(t.get('finishedAt'))}\n"
        )
        return out
    return f"{indent}{label}:\tWaiting\n"


def _ports(c: Obj) -> tuple[str, str]:
    ports = c.get("ports") or []
    if not ports:
        return "<none>", "<none>"
    port = ",".join(f"{p['containerPort']}/{p.get('protocol', 'TCP')}" for p in ports)
    host = ",".join(f"{p.get('hostPort', 0)}/{p.get('protocol', 'TCP')}" for p in ports)
    return port, host


def _containers(
    title: str,
    containers: list[Obj],
    statuses: list[Obj],
    indent: str,
    template: bool,
    pod: Obj | None = None,
) -> str:
    by_name = {s.get("name"): s for s in statuses}
    out = f"{indent}{title}:\n"
    inner = "   " if template else indent + "  "
    body = "    " if template else indent + "    "
    for c in containers:
        st = by_name.get(c.get("name"))
        out += f"{inner}{c.get('name')}:\n"
        if st is not None:  # kubectl prints both once the container has a status, even empty
            out += f"{body}Container ID:\t{st.get('containerID', '')}\n"
        out += f"{body}Image:\t{c.get('image', '')}\n"
        if st is not None:
            out += f"{body}Image ID:\t{st.get('imageID', '')}\n"
        port, host = _ports(c)
        out += f"{body}Port:\t{port}\n{body}Host Port:\t{host}\n"
        for key, label in (("command", "Command"), ("args", "Args")):
            if c.get(key):
                out += f"{body}{label}:\n" + "".join(f"{body}  {a}\n" for a in c[key])
        if st:
            out += _container_state("State", st.get("state") or {}, body)
            if st.get("lastState"):
                out += _container_state("Last State", st["lastState"], body)
            out += f"{body}Ready:\t{'True' if st.get('ready') else 'False'}\n"
            out += f"{body}Restart Count:\t{st.get('restartCount', 0)}\n"
        res = c.get("resources") or {}
        for key, label in (("limits", "Limits"), ("requests", "Requests")):
            if res.get(key):
                out += f"{body}{label}:\n" + "".join(
                    f"{body}  {k}:\t{v}\n" for k, v in sorted(res[key].items())
                )
        out += probe_lines(c, body)
        out += env_from_lines(c, body) + env_lines(pod or {}, c, body)
        mounts = c.get("volumeMounts") or []
        if mounts:
            out += f"{body}Mounts:\n" + "".join(
                f"{body}  {m['mountPath']} from {m['name']} ({'ro' if m.get('readOnly') else 'rw'})\n"
                for m in mounts
            )
        else:
            out += f"{body}Mounts:\t<none>\n"
    return out


def _volume_source(volume: Obj) -> str:
    """kubectl's `printProjectedVolumeSource` (the service-account token volume every pod gets);
    other volume types show their name only."""
    config = config_volume_lines(volume)
    if config is not None:
        return config
    data = data_volume_lines(volume)  # persistentVolumeClaim, emptyDir, hostPath
    if data is not None:
        return data
    projected = volume.get("projected")
    if not isinstance(projected, dict):
        return ""
    out = "    Type:\tProjected (a volume that contains injected data from multiple sources)\n"
    for source in projected.get("sources") or []:
        if "secret" in source:
            secret = source["secret"] or {}
            out += f"    SecretName:\t{secret.get('name', '')}\n"
            out += f"    SecretOptionalName:\t{_go_ptr(secret.get('optional'))}\n"
        elif "downwardAPI" in source:
            out += "    DownwardAPI:\ttrue\n"
        elif "configMap" in source:
            cm = source["configMap"] or {}
            out += f"    ConfigMapName:\t{cm.get('name', '')}\n"
            out += f"    ConfigMapOptional:\t{_go_ptr(cm.get('optional'))}\n"
        elif "serviceAccountToken" in source:
            token = source["serviceAccountToken"] or {}
            out += f"    TokenExpirationSeconds:\t{token.get('expirationSeconds', 3600)}\n"
    return out


def _go_ptr(value: Any) -> str:
    """A *bool as Go's %v prints it."""
    return "<nil>" if value is None else str(bool(value)).lower()


def _controller(meta: Obj) -> str:
    for ref in meta.get("ownerReferences") or []:
        if ref.get("controller"):
            return f"{ref.get('kind')}/{ref.get('name')}"
    return ""


def describe_pod(pod: Obj, events: list[Obj] | None, now: datetime | None) -> str:
    meta, spec, st = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    out = f"Name:\t{meta.get('name')}\nNamespace:\t{meta.get('namespace')}\n"
    if spec.get("priority") is not None:
        out += f"Priority:\t{spec['priority']}\n"
    if spec.get("priorityClassName"):
        out += f"Priority Class Name:\t{spec['priorityClassName']}\n"
    if spec.get("serviceAccountName"):
        out += f"Service Account:\t{spec['serviceAccountName']}\n"
    out += f"Node:\t{spec['nodeName'] + '/' + st.get('hostIP', '') if spec.get('nodeName') else '<none>'}\n"
    if st.get("startTime"):
        out += f"Start Time:\t{rfc1123z(st['startTime'])}\n"
    out += _multiline("Labels", meta.get("labels"))
    out += _multiline("Annotations", meta.get("annotations"), ": ")
    if meta.get("deletionTimestamp"):
        out += f"Status:\tTerminating (lasts {since(meta['deletionTimestamp'], now)})\n"
        out += f"Termination Grace Period:\t{meta.get('deletionGracePeriodSeconds', 0)}s\n"
    else:
        out += f"Status:\t{st.get('phase', '')}\n"
    if st.get("reason"):
        out += f"Reason:\t{st['reason']}\n"
    if st.get("message"):
        out += f"Message:\t{st['message']}\n"
    seccomp = ((spec.get("securityContext") or {}).get("seccompProfile") or {}).get("type")
    if seccomp:
        out += f"SeccompProfile:\t{seccomp}\n"
    out += f"IP:\t{st.get('podIP', '')}\n"
    ips = st.get("podIPs") or []
    out += "IPs:\n" + "".join(f"  IP:\t{i.get('ip')}\n" for i in ips) if ips else "IPs:\t<none>\n"
    if _controller(meta):
        out += f"Controlled By:\t{_controller(meta)}\n"
    if st.get("nominatedNodeName"):
        out += f"NominatedNodeName:\t{st['nominatedNodeName']}\n"
    if spec.get("initContainers"):
        out += _containers(
            "Init Containers", spec["initContainers"], st.get("initContainerStatuses") or [], "", False, pod
        )
    out += _containers(
        "Containers", spec.get("containers") or [], st.get("containerStatuses") or [], "", False, pod
    )
    if st.get("conditions"):
        out += "Conditions:\n  Type\tStatus\n"
        out += "".join(f"  {c.get('type')} \t{c.get('status')} \n" for c in st["conditions"])
    vols = spec.get("volumes") or []
    out += (
        "Volumes:\n" + "".join(f"  {v['name']}:\n" + _volume_source(v) for v in vols)
        if vols
        else "Volumes:\t<none>\n"
    )
    out += f"QoS Class:\t{st.get('qosClass', '')}\n"
    out += _multiline("Node-Selectors", spec.get("nodeSelector"))
    out += _tolerations(spec.get("tolerations"))
    if events is not None:
        out += _events(events, now)
    return out


def describe_deployment(
    d: Obj, new_rs: Obj | None, old_rs: list[Obj], events: list[Obj] | None, now: datetime | None
) -> str:
    meta, spec, st = d.get("metadata") or {}, d.get("spec") or {}, d.get("status") or {}
    out = f"Name:\t{meta.get('name')}\nNamespace:\t{meta.get('namespace')}\n"
    out += f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n"
    out += _multiline("Labels", meta.get("labels"))
    out += _multiline("Annotations", meta.get("annotations"), ": ")
    sel = (spec.get("selector") or {}).get("matchLabels") or {}
    out += f"Selector:\t{','.join(f'{k}={v}' for k, v in sorted(sel.items()))}\n"
    unavailable = st.get("unavailableReplicas", 0)
    out += (
        f"Replicas:\t{spec.get('replicas', 0)} desired | {st.get('updatedReplicas', 0)} updated | "
        f"{st.get('replicas', 0)} total | {st.get('availableReplicas', 0)} available | "
        f"{unavailable} unavailable\n"
    )
    strategy = spec.get("strategy") or {}
    out += f"StrategyType:\t{strategy.get('type', '')}\n"
    out += f"MinReadySeconds:\t{spec.get('minReadySeconds', 0)}\n"
    ru = strategy.get("rollingUpdate")
    if ru:
        out += (
            f"RollingUpdateStrategy:\t{ru.get('maxUnavailable')} max unavailable, "
            f"{ru.get('maxSurge')} max surge\n"
        )
    out += pod_template(spec.get("template") or {})
    if st.get("conditions"):
        out += "Conditions:\n  Type\tStatus\tReason\n  ----\t------\t------\n"
        out += "".join(
            f"  {c.get('type')} \t{c.get('status')}\t{c.get('reason', '')}\n" for c in st["conditions"]
        )
    old = [
        f"{rs['metadata']['name']} ({(rs.get('status') or {}).get('replicas', 0)}/"
        f"{rs['spec'].get('replicas', 0)} replicas created)"
        for rs in old_rs
    ]
    out += f"OldReplicaSets:\t{', '.join(old) or '<none>'}\n"
    if new_rs:
        rs_st = new_rs.get("status") or {}
        rs_name = new_rs["metadata"]["name"]
        out += (
            f"NewReplicaSet:\t{rs_name} ({rs_st.get('replicas', 0)}/"
            f"{new_rs['spec'].get('replicas', 0)} replicas created)\n"
        )
    else:
        out += "NewReplicaSet:\t<none>\n"
    if events is not None:
        out += _events(events, now)
    return out


def describe_generic(obj: Obj, events: list[Obj] | None, now: datetime | None) -> str:
    meta = obj.get("metadata") or {}
    out = f"Name:\t{meta.get('name')}\n"
    if meta.get("namespace"):
        out += f"Namespace:\t{meta['namespace']}\n"
    out += _multiline("Labels", meta.get("labels"))
    out += _multiline("Annotations", meta.get("annotations"), ": ")
    out += f"API Version:\t{obj.get('apiVersion')}\nKind:\t{obj.get('kind')}\n"
    if events is not None:
        out += _events(events, now)
    return out


# The order in which kubectl's describers put the involvedObject fields (observed on the wire).
EVENT_FIELDS = {
    "Pod": ("name", "namespace", "uid"),
    "ReplicaSet": ("kind", "uid", "name", "namespace"),
    "Node": ("uid", "name", "namespace", "kind"),
}
DEFAULT_EVENT_FIELDS = ("name", "namespace", "kind", "uid")


def _fetch_events(ctx: Ctx, obj: Obj) -> list[Obj] | None:
    """The object's Events, asked for with kubectl's field selector."""
    if not ctx.flags.get("show-events", True):
        return None
    meta = obj.get("metadata") or {}
    ev = ctx.discovery.resolve("events")[0]
    # For a mirror (static) pod kubectl asks for the kubelet's uid, the config.mirror annotation.
    uid = (meta.get("annotations") or {}).get("kubernetes.io/config.mirror") or meta.get("uid", "")
    values = {
        "name": meta.get("name", ""),
        "namespace": meta.get("namespace", ""),
        "kind": obj.get("kind", ""),
    }
    values["uid"] = uid
    fields = EVENT_FIELDS.get(str(obj.get("kind")), DEFAULT_EVENT_FIELDS)
    selector = ",".join(f"involvedObject.{f}={values[f]}" for f in fields)
    try:
        doc = ctx.call(
            "GET", ev.path(meta.get("namespace") or None), query={"fieldSelector": selector, "limit": "500"}
        )
    except ApiStatusError:
        return []
    return list(doc.get("items") or [])


def _describe_node(ctx: Ctx, node: Obj) -> str:
    meta = node.get("metadata") or {}
    name = meta.get("name", "")
    pods_res = ctx.discovery.resolve("pods")[0]
    selector = f"spec.nodeName={name},status.phase!=Succeeded,status.phase!=Failed"
    pods = (
        ctx.call("GET", pods_res.path(), query={"fieldSelector": selector, "limit": "500"}).get("items") or []
    )
    events: list[Obj] | None = None
    if ctx.flags.get("show-events", True):
        events = []
        ev = ctx.discovery.resolve("events")[0]
        for uid in dict.fromkeys((meta.get("uid", ""), name)):
            sel = f"involvedObject.uid={uid},involvedObject.name={name},"
            sel += "involvedObject.namespace=,involvedObject.kind=Node"
            try:
                doc = ctx.call("GET", ev.path(), query={"fieldSelector": sel, "limit": "500"})
                events += [e for e in doc.get("items") or [] if e not in events]
            except ApiStatusError:
                pass
    lease, lease_error = None, ""
    try:
        leases = ctx.discovery.resolve("leases.coordination.k8s.io")[0]
        lease = ctx.call("GET", leases.path("kube-node-lease", name))
    except (ApiStatusError, CommandError) as exc:
        lease_error = exc.message
    return describe_node(node, lease, lease_error, pods, events, ctx.now)


def _listed(ctx: Ctx, namespace: str, plural: str) -> list[Obj] | None:
    """The namespace's quotas / limit ranges (kubectl always asks); None if not served."""
    try:
        doc = ctx.call("GET", f"/api/v1/namespaces/{namespace}/{plural}", query={"limit": "500"})
    except ApiStatusError:
        return None
    return list(doc.get("items") or [])


def _template_without_hash(template: Obj) -> Obj:
    labels = {
        k: v
        for k, v in ((template.get("metadata") or {}).get("labels") or {}).items()
        if k != "pod-template-hash"
    }
    return {**template, "metadata": {**(template.get("metadata") or {}), "labels": labels}}


def _describe_deployment(ctx: Ctx, d: Obj, events: list[Obj] | None) -> str:
    """The Deployment with its new and old ReplicaSets (the ones it controls)."""
    meta = d.get("metadata") or {}
    rs_res = ctx.discovery.resolve("replicasets.apps")[0]
    try:
        query = {"labelSelector": selector_text((d.get("spec") or {}).get("selector")), "limit": "500"}
        doc = ctx.call("GET", rs_res.path(meta.get("namespace")), query=query)
    except ApiStatusError:
        doc = {}
    owned = [
        rs
        for rs in doc.get("items") or []
        if any(ref.get("uid") == meta.get("uid") for ref in rs["metadata"].get("ownerReferences") or [])
    ]
    # kubectl's findNewReplicaSet: the oldest whose template equals the Deployment's, ignoring
    # the pod-template-hash label (a paused Deployment with a changed template has none).
    want = _template_without_hash((d.get("spec") or {}).get("template") or {})
    owned.sort(key=lambda rs: (rs["metadata"].get("creationTimestamp") or "", rs["metadata"]["name"]))
    new_rs = next(
        (rs for rs in owned if _template_without_hash(rs["spec"].get("template") or {}) == want), None
    )
    old_rs = [rs for rs in owned if rs is not new_rs]
    return describe_deployment(d, new_rs, old_rs, events, ctx.now)


def _describe_service(ctx: Ctx, svc: Obj) -> str:
    """The Service with its EndpointSlices, listed by the service-name label as kubectl does."""
    meta = svc.get("metadata") or {}
    try:
        slices_res = ctx.discovery.resolve("endpointslices.discovery.k8s.io")[0]
        query = {"labelSelector": f"kubernetes.io/service-name={meta.get('name', '')}"}
        slices = ctx.call("GET", slices_res.path(meta.get("namespace")), query=query).get("items") or []
    except (ApiStatusError, CommandError):
        slices = []
    return describe_service(svc, slices, _fetch_events(ctx, svc), ctx.now)


def _describe(ctx: Ctx, r: Resource, obj: Obj) -> str:
    if r.kind == "Node":
        return _describe_node(ctx, obj)
    if r.kind == "Namespace":
        name = (obj.get("metadata") or {}).get("name", "")
        return describe_namespace(
            obj, _listed(ctx, name, "resourcequotas"), _listed(ctx, name, "limitranges")
        )
    if r.kind in ("ReplicaSet", "DaemonSet", "StatefulSet"):
        meta = obj.get("metadata") or {}
        pods_res = ctx.discovery.resolve("pods")[0]
        selector = selector_text((obj.get("spec") or {}).get("selector"))
        query = {"labelSelector": selector, "limit": "500"}
        pods = ctx.call("GET", pods_res.path(meta.get("namespace")), query=query).get("items") or []
        describer = {"DaemonSet": describe_daemonset, "StatefulSet": describe_statefulset}.get(
            r.kind, describe_replicaset
        )
        return describer(obj, pods, _fetch_events(ctx, obj), ctx.now)
    if r.kind == "Service":
        return _describe_service(ctx, obj)
    if r.kind == "ResourceQuota":
        return describe_quota(obj)
    if r.kind == "LimitRange":
        return describe_limit_range(obj)
    if r.kind == "Secret":
        return describe_secret(obj)
    if r.kind == "NetworkPolicy":
        return describe_network_policy(obj)
    if r.kind in ("PersistentVolume", "PersistentVolumeClaim", "StorageClass"):
        return describe_storage(ctx, r.kind, obj, lambda: _fetch_events(ctx, obj))
    events = _fetch_events(ctx, obj)
    if r.kind == "PriorityClass":
        return describe_priority_class(obj, events, ctx.now)
    if r.kind == "PodDisruptionBudget":
        return describe_pdb(obj, events, ctx.now)
    if r.kind == "Ingress":
        return describe_ingress_from(ctx, obj, events)
    if r.kind == "IngressClass":
        return describe_ingress_class(obj, events, ctx.now)
    if r.kind == "HorizontalPodAutoscaler":
        return describe_hpa(obj, events, ctx.now)
    if r.kind == "ConfigMap":
        return describe_configmap(obj, events, ctx.now)
    if r.kind == "Pod":
        return describe_pod(obj, events, ctx.now)
    if r.kind == "Endpoints":
        return describe_endpoints(obj, events, ctx.now)
    if r.kind == "EndpointSlice":
        return describe_endpoint_slice(obj, events, ctx.now)
    if r.kind == "Job":
        return describe_job(obj, events, ctx.now)
    if r.kind == "CronJob":
        return describe_cronjob(obj, events, ctx.now)
    if r.kind == "Deployment":
        return _describe_deployment(ctx, obj, events)
    return describe_generic(obj, events, ctx.now)


def _by_prefix(ctx: Ctx, r: Resource, namespace: str | None, prefix: str) -> list[tuple[Resource, Obj]]:
    try:
        doc = ctx.call("GET", r.path(namespace), query={"limit": "500"})
    except ApiStatusError:
        return []
    items = [
        i for i in doc.get("items") or [] if str((i.get("metadata") or {}).get("name", "")).startswith(prefix)
    ]
    return [(r, {"apiVersion": r.api_version, "kind": r.kind, **i}) for i in items]


def run_describe(ctx: Ctx) -> None:
    if not ctx.args and not ctx.flags.get("filename"):
        raise CommandError(
            'You must specify the type of resource to describe. Use "kubectl api-resources" for '
            "a complete list "
            "of supported resources.\n",
            raw=True,
        )
    sel = ctx.selection("describe")
    ctx.report(list(sel.errors))
    found: list[tuple[Resource, Obj]] = []
    prefixed = False
    for r in sel.types:
        q = {"limit": "500"}
        if ctx.flags.get("selector"):
            q["labelSelector"] = ctx.flags["selector"]
        doc = ctx.call("GET", ctx.listing_path(r), query=q)
        found += [(r, {"apiVersion": r.api_version, "kind": r.kind, **o}) for o in doc.get("items") or []]
    errors: list[Any] = []
    for t in sel.targets:
        try:
            found.append((t.resource, ctx.call("GET", t.resource.path(t.namespace, t.name))))
        except ApiStatusError as exc:
            # kubectl then describes every object whose name starts with the one given.
            matches = _by_prefix(ctx, t.resource, t.namespace, t.name or "") if exc.code == 404 else []
            found += matches
            prefixed = prefixed or bool(matches)
            if not matches:
                errors.append(exc)
    texts = []
    for r, obj in found:
        meta = obj.get("metadata") or {}
        try:  # kubectl's describers read the object again before describing it
            fresh = ctx.call(
                "GET", r.path(meta.get("namespace") if r.namespaced else None, meta.get("name", ""))
            )
        except ApiStatusError as exc:
            errors.append(exc)
            continue
        texts.append(tabwriter(_describe(ctx, r, fresh), 0, 2))
    # kubectl: the first, then "\n\n" before each next one; prefix matches: each then "\n".
    ctx.out.append("".join(t + "\n" for t in texts) if prefixed else "\n\n".join(texts))
    if sel.types and not found and not errors:
        ctx.err.append(f"No resources found in {ctx.namespace} namespace.\n")
    ctx.report(errors)
