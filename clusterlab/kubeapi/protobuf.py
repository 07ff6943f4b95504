"""Reading the Kubernetes protobuf encoding of the few request bodies kubectl sends that way.

kubectl's typed clients send `Content-Type: application/vnd.kubernetes.protobuf` for
`kubectl create deployment`, `kubectl create namespace`, `kubectl create service`,
`kubectl create quota`, `kubectl create priorityclass`, `kubectl create job|cronjob`,
`kubectl create configmap|secret|ingress`, `kubectl autoscale` (an `autoscaling/v1` HPA), the
evictions of `kubectl drain` and
the reviews of `kubectl auth can-i` / `auth whoami`.
The body is the magic `k8s\\0` then a `runtime.Unknown` {typeMeta{apiVersion, kind}, raw}, where
`raw` is the object in the protobuf schema of `k8s.io/api` (`generated.proto`). This module
decodes the protobuf wire format against the field numbers of the messages those commands
use and returns the object as Kubernetes JSON.

Go's protobuf encoder writes every non-pointer field, even when empty, so empty strings, zeros
and false drop out as JSON's `omitempty` would (except the pointer fields that keep a zero,
like `replicas`). A field this table does not know is ignored when empty and refused (415)
otherwise, so nothing a client meant is lost silently.
"""

from __future__ import annotations

import base64
from typing import Any

from clusterlab.kubeapi.errors import UnsupportedMediaType

Obj = dict[str, Any]
MAGIC = b"k8s\x00"
MEDIA_TYPE = "application/vnd.kubernetes.protobuf"

# A field: (json name, type). Types: "string", "int32", "int64", "bool", a message name,
# ["type"] for repeated, ("map", "value type") for maps, "skip" to drop (status on create).
Field = tuple[str, Any]
STR_MAP = ("map", "string")
SCHEMAS: dict[str, dict[int, Field]] = {
    "Unknown": {
        1: ("typeMeta", "TypeMeta"),
        2: ("raw", "bytes"),
        3: ("contentEncoding", "string"),
        4: ("contentType", "string"),
    },
    "TypeMeta": {1: ("apiVersion", "string"), 2: ("kind", "string")},
    "Time": {1: ("seconds", "int64"), 2: ("nanos", "int32")},
    "IntOrString": {1: ("type", "int64"), 2: ("intVal", "int32"), 3: ("strVal", "string")},
    "Quantity": {1: ("string", "string")},
    "ObjectMeta": {
        1: ("name", "string"),
        2: ("generateName", "string"),
        3: ("namespace", "string"),
        5: ("uid", "string"),
        6: ("resourceVersion", "string"),
        7: ("generation", "int64"),
        8: ("creationTimestamp", "Time"),
        9: ("deletionTimestamp", "Time"),
        10: ("deletionGracePeriodSeconds", "int64"),
        11: ("labels", STR_MAP),
        12: ("annotations", STR_MAP),
        13: ("ownerReferences", ["OwnerReference"]),
        14: ("finalizers", ["string"]),
    },
    "OwnerReference": {
        1: ("kind", "string"),
        3: ("name", "string"),
        4: ("uid", "string"),
        5: ("apiVersion", "string"),
        6: ("controller", "bool"),
        7: ("blockOwnerDeletion", "bool"),
    },
    "LabelSelector": {1: ("matchLabels", STR_MAP), 2: ("matchExpressions", ["LabelSelectorRequirement"])},
    "LabelSelectorRequirement": {1: ("key", "string"), 2: ("operator", "string"), 3: ("values", ["string"])},
    "Deployment": {1: ("metadata", "ObjectMeta"), 2: ("spec", "DeploymentSpec"), 3: ("status", "skip")},
    "DeploymentSpec": {
        1: ("replicas", "int32"),
        2: ("selector", "LabelSelector"),
        3: ("template", "PodTemplateSpec"),
        4: ("strategy", "DeploymentStrategy"),
        5: ("minReadySeconds", "int32"),
        6: ("revisionHistoryLimit", "int32"),
        7: ("paused", "bool"),
        9: ("progressDeadlineSeconds", "int32"),
    },
    "DeploymentStrategy": {1: ("type", "string"), 2: ("rollingUpdate", "RollingUpdateDeployment")},
    "RollingUpdateDeployment": {1: ("maxUnavailable", "IntOrString"), 2: ("maxSurge", "IntOrString")},
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec")},
    "PodSpec": {
        2: ("containers", ["Container"]),
        3: ("restartPolicy", "string"),
        4: ("terminationGracePeriodSeconds", "int64"),
        5: ("activeDeadlineSeconds", "int64"),
        6: ("dnsPolicy", "string"),
        7: ("nodeSelector", STR_MAP),
        8: ("serviceAccountName", "string"),
        10: ("nodeName", "string"),
        11: ("hostNetwork", "bool"),
        19: ("schedulerName", "string"),
        20: ("initContainers", ["Container"]),
        24: ("priorityClassName", "string"),
        # what the API server's defaults put in a stored template (`kubectl create job --from`)
        14: ("securityContext", "PodSecurityContext"),
        30: ("enableServiceLinks", "bool"),
    },
    "PodSecurityContext": {},
    "Container": {
        1: ("name", "string"),
        2: ("image", "string"),
        3: ("command", ["string"]),
        4: ("args", ["string"]),
        5: ("workingDir", "string"),
        6: ("ports", ["ContainerPort"]),
        7: ("env", ["EnvVar"]),
        8: ("resources", "ResourceRequirements"),
        13: ("terminationMessagePath", "string"),
        14: ("imagePullPolicy", "string"),
        20: ("terminationMessagePolicy", "string"),
        24: ("restartPolicy", "string"),
    },
    "ContainerPort": {
        1: ("name", "string"),
        2: ("hostPort", "int32"),
        3: ("containerPort", "int32"),
        4: ("protocol", "string"),
        5: ("hostIP", "string"),
    },
    "EnvVar": {1: ("name", "string"), 2: ("value", "string")},
    "ResourceRequirements": {1: ("limits", ("map", "Quantity")), 2: ("requests", ("map", "Quantity"))},
    "Namespace": {1: ("metadata", "ObjectMeta"), 2: ("spec", "NamespaceSpec"), 3: ("status", "skip")},
    "NamespaceSpec": {1: ("finalizers", ["string"])},
    "Eviction": {1: ("metadata", "ObjectMeta"), 2: ("deleteOptions", "DeleteOptions")},
    "DeleteOptions": {
        1: ("gracePeriodSeconds", "int64"),
        2: ("preconditions", "Preconditions"),
        3: ("orphanDependents", "bool"),
        4: ("propagationPolicy", "string"),
        5: ("dryRun", ["string"]),
    },
    "Preconditions": {1: ("uid", "string"), 2: ("resourceVersion", "string")},
    "SelfSubjectAccessReview": {
        1: ("metadata", "ObjectMeta"),
        2: ("spec", "SelfSubjectAccessReviewSpec"),
        3: ("status", "skip"),
    },
    "SelfSubjectAccessReviewSpec": {
        1: ("resourceAttributes", "ResourceAttributes"),
        2: ("nonResourceAttributes", "NonResourceAttributes"),
    },
    "ResourceAttributes": {
        1: ("namespace", "string"),
        2: ("verb", "string"),
        3: ("group", "string"),
        4: ("version", "string"),
        5: ("resource", "string"),
        6: ("subresource", "string"),
        7: ("name", "string"),
    },
    "NonResourceAttributes": {1: ("path", "string"), 2: ("verb", "string")},
    "SelfSubjectReview": {1: ("metadata", "ObjectMeta"), 2: ("status", "skip")},
    # `kubectl create service clusterip|nodeport|loadbalancer|externalname`
    "Service": {1: ("metadata", "ObjectMeta"), 2: ("spec", "ServiceSpec"), 3: ("status", "skip")},
    "ServiceSpec": {
        1: ("ports", ["ServicePort"]),
        2: ("selector", STR_MAP),
        3: ("clusterIP", "string"),
        4: ("type", "string"),
        5: ("externalIPs", ["string"]),
        7: ("sessionAffinity", "string"),
        8: ("loadBalancerIP", "string"),
        9: ("loadBalancerSourceRanges", ["string"]),
        10: ("externalName", "string"),
        11: ("externalTrafficPolicy", "string"),
        12: ("healthCheckNodePort", "int32"),
        13: ("publishNotReadyAddresses", "bool"),
        14: ("sessionAffinityConfig", "SessionAffinityConfig"),
        17: ("ipFamilyPolicy", "string"),
        18: ("clusterIPs", ["string"]),
        19: ("ipFamilies", ["string"]),
        20: ("allocateLoadBalancerNodePorts", "bool"),
        21: ("loadBalancerClass", "string"),
        22: ("internalTrafficPolicy", "string"),
        23: ("trafficDistribution", "string"),
    },
    "ServicePort": {
        1: ("name", "string"),
        2: ("protocol", "string"),
        3: ("port", "int32"),
        4: ("targetPort", "IntOrString"),
        5: ("nodePort", "int32"),
        6: ("appProtocol", "string"),
    },
    "SessionAffinityConfig": {1: ("clientIP", "ClientIPConfig")},
    "ClientIPConfig": {1: ("timeoutSeconds", "int32")},
    # `kubectl create role|clusterrole|rolebinding|clusterrolebinding|serviceaccount`, and the
    # SubjectAccessReviews a client may send
    "Role": {1: ("metadata", "ObjectMeta"), 2: ("rules", ["PolicyRule"])},
    "ClusterRole": {
        1: ("metadata", "ObjectMeta"),
        2: ("rules", ["PolicyRule"]),
        3: ("aggregationRule", "AggregationRule"),
    },
    "AggregationRule": {1: ("clusterRoleSelectors", ["LabelSelector"])},
    "PolicyRule": {
        1: ("verbs", ["string"]),
        2: ("apiGroups", ["string"]),
        3: ("resources", ["string"]),
        4: ("resourceNames", ["string"]),
        5: ("nonResourceURLs", ["string"]),
    },
    "RoleBinding": {1: ("metadata", "ObjectMeta"), 2: ("subjects", ["Subject"]), 3: ("roleRef", "RoleRef")},
    "Subject": {
        1: ("kind", "string"),
        2: ("apiGroup", "string"),
        3: ("name", "string"),
        4: ("namespace", "string"),
    },
    "RoleRef": {1: ("apiGroup", "string"), 2: ("kind", "string"), 3: ("name", "string")},
    "ServiceAccount": {
        1: ("metadata", "ObjectMeta"),
        2: ("secrets", ["ObjectReference"]),
        3: ("imagePullSecrets", ["LocalObjectReference"]),
        4: ("automountServiceAccountToken", "bool"),
    },
    "ObjectReference": {
        1: ("kind", "string"),
        2: ("namespace", "string"),
        3: ("name", "string"),
        4: ("uid", "string"),
        5: ("apiVersion", "string"),
        6: ("resourceVersion", "string"),
        7: ("fieldPath", "string"),
    },
    "LocalObjectReference": {1: ("name", "string")},
    "SubjectAccessReview": {
        1: ("metadata", "ObjectMeta"),
        2: ("spec", "SubjectAccessReviewSpec"),
        3: ("status", "skip"),
    },
    "ResourceQuota": {1: ("metadata", "ObjectMeta"), 2: ("spec", "ResourceQuotaSpec"), 3: ("status", "skip")},
    "ResourceQuotaSpec": {
        1: ("hard", ("map", "Quantity")),
        2: ("scopes", ["string"]),
        3: ("scopeSelector", "ScopeSelector"),
    },
    "ScopeSelector": {1: ("matchExpressions", ["ScopedResourceSelectorRequirement"])},
    "ScopedResourceSelectorRequirement": {
        1: ("scopeName", "string"),
        2: ("operator", "string"),
        3: ("values", ["string"]),
    },
    "PriorityClass": {
        1: ("metadata", "ObjectMeta"),
        2: ("value", "int32"),
        3: ("globalDefault", "bool"),
        4: ("description", "string"),
        5: ("preemptionPolicy", "string"),
    },
    # `kubectl create job|cronjob` (batch/v1)
    "Job": {1: ("metadata", "ObjectMeta"), 2: ("spec", "JobSpec"), 3: ("status", "skip")},
    "JobSpec": {
        1: ("parallelism", "int32"),
        2: ("completions", "int32"),
        3: ("activeDeadlineSeconds", "int64"),
        4: ("selector", "LabelSelector"),
        5: ("manualSelector", "bool"),
        6: ("template", "PodTemplateSpec"),
        7: ("backoffLimit", "int32"),
        8: ("ttlSecondsAfterFinished", "int32"),
        9: ("completionMode", "string"),
        10: ("suspend", "bool"),
        12: ("backoffLimitPerIndex", "int32"),
        13: ("maxFailedIndexes", "int32"),
        14: ("podReplacementPolicy", "string"),
        15: ("managedBy", "string"),
    },
    "CronJob": {1: ("metadata", "ObjectMeta"), 2: ("spec", "CronJobSpec"), 3: ("status", "skip")},
    "CronJobSpec": {
        1: ("schedule", "string"),
        2: ("startingDeadlineSeconds", "int64"),
        3: ("concurrencyPolicy", "string"),
        4: ("suspend", "bool"),
        5: ("jobTemplate", "JobTemplateSpec"),
        6: ("successfulJobsHistoryLimit", "int32"),
        7: ("failedJobsHistoryLimit", "int32"),
        8: ("timeZone", "string"),
    },
    "JobTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "JobSpec")},
    # `kubectl create configmap|secret` (v1); `[]byte` map values are base64 in JSON
    "ConfigMap": {
        1: ("metadata", "ObjectMeta"),
        2: ("data", STR_MAP),
        3: ("binaryData", ("map", "bytes")),
        4: ("immutable", "bool"),
    },
    "Secret": {
        1: ("metadata", "ObjectMeta"),
        2: ("data", ("map", "bytes")),
        3: ("type", "string"),
        4: ("stringData", STR_MAP),
        5: ("immutable", "bool"),
    },
    # `kubectl autoscale` (autoscaling/v1)
    "HorizontalPodAutoscaler": {
        1: ("metadata", "ObjectMeta"),
        2: ("spec", "HorizontalPodAutoscalerSpec"),
        3: ("status", "skip"),
    },
    "HorizontalPodAutoscalerSpec": {
        1: ("scaleTargetRef", "CrossVersionObjectReference"),
        2: ("minReplicas", "int32"),
        3: ("maxReplicas", "int32"),
        4: ("targetCPUUtilizationPercentage", "int32"),
    },
    "CrossVersionObjectReference": {
        1: ("kind", "string"),
        2: ("name", "string"),
        3: ("apiVersion", "string"),
    },
    "SubjectAccessReviewSpec": {
        1: ("resourceAttributes", "ResourceAttributes"),
        2: ("nonResourceAttributes", "NonResourceAttributes"),
        3: ("user", "string"),
        4: ("groups", ["string"]),
        6: ("uid", "string"),
    },
    # networking.k8s.io/v1 (`kubectl create ingress`); IngressRuleValue is inline in JSON
    "Ingress": {1: ("metadata", "ObjectMeta"), 2: ("spec", "IngressSpec"), 3: ("status", "skip")},
    "IngressSpec": {
        1: ("defaultBackend", "IngressBackend"),
        2: ("tls", ["IngressTLS"]),
        3: ("rules", ["IngressRule"]),
        4: ("ingressClassName", "string"),
    },
    "IngressBackend": {3: ("resource", "TypedLocalObjectReference"), 4: ("service", "IngressServiceBackend")},
    "IngressServiceBackend": {1: ("name", "string"), 2: ("port", "ServiceBackendPort")},
    "ServiceBackendPort": {1: ("name", "string"), 2: ("number", "int32")},
    "TypedLocalObjectReference": {1: ("apiGroup", "string"), 2: ("kind", "string"), 3: ("name", "string")},
    "IngressTLS": {1: ("hosts", ["string"]), 2: ("secretName", "string")},
    "IngressRule": {1: ("host", "string"), 2: ("ingressRuleValue", "IngressRuleValue")},
    "IngressRuleValue": {1: ("http", "HTTPIngressRuleValue")},
    "HTTPIngressRuleValue": {1: ("paths", ["HTTPIngressPath"])},
    "HTTPIngressPath": {1: ("path", "string"), 2: ("backend", "IngressBackend"), 3: ("pathType", "string")},
}
#: Top-level kinds this module reads, by (apiVersion, kind).
TOP_LEVEL = {
    ("rbac.authorization.k8s.io/v1", "Role"): "Role",
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): "ClusterRole",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "RoleBinding",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "RoleBinding",
    ("v1", "ServiceAccount"): "ServiceAccount",
    ("authorization.k8s.io/v1", "SubjectAccessReview"): "SubjectAccessReview",
    ("apps/v1", "Deployment"): "Deployment",
    ("v1", "Namespace"): "Namespace",
    ("v1", "Service"): "Service",
    ("v1", "ResourceQuota"): "ResourceQuota",
    ("scheduling.k8s.io/v1", "PriorityClass"): "PriorityClass",
    ("policy/v1", "Eviction"): "Eviction",
    ("batch/v1", "Job"): "Job",
    ("batch/v1", "CronJob"): "CronJob",
    ("v1", "ConfigMap"): "ConfigMap",
    ("networking.k8s.io/v1", "Ingress"): "Ingress",
    ("v1", "Secret"): "Secret",
    ("autoscaling/v1", "HorizontalPodAutoscaler"): "HorizontalPodAutoscaler",
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): "SelfSubjectAccessReview",
    ("authentication.k8s.io/v1", "SelfSubjectReview"): "SelfSubjectReview",
}
#: Pointer fields whose zero is meaningful (`replicas: 0`), by (message, json name).
KEEP_ZERO = {
    ("DeploymentSpec", "replicas"),
    ("DeploymentSpec", "revisionHistoryLimit"),
    ("DeploymentSpec", "progressDeadlineSeconds"),
    ("PodSpec", "terminationGracePeriodSeconds"),
    ("PodSpec", "enableServiceLinks"),
    ("DeleteOptions", "gracePeriodSeconds"),
    ("ServiceSpec", "allocateLoadBalancerNodePorts"),
    ("ServiceAccount", "automountServiceAccountToken"),
    ("PriorityClass", "value"),
    ("ConfigMap", "immutable"),
    ("Secret", "immutable"),
    ("HorizontalPodAutoscalerSpec", "minReplicas"),
    ("HorizontalPodAutoscalerSpec", "targetCPUUtilizationPercentage"),
    *(("JobSpec", f) for f in ("parallelism", "completions", "backoffLimit", "suspend", "manualSelector")),
    *(("JobSpec", f) for f in ("activeDeadlineSeconds", "ttlSecondsAfterFinished")),
    *(("CronJobSpec", f) for f in ("suspend", "startingDeadlineSeconds")),
    *(("CronJobSpec", f) for f in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit")),
}


class _Malformed(Exception):
    pass


def _refuse(message: str) -> UnsupportedMediaType:
    return UnsupportedMediaType(
        f"{message}; this lab reads protobuf only for kubectl create deployment/namespace/service/"
        "serviceaccount/role/clusterrole/rolebinding/clusterrolebinding/quota/priorityclass/job/cronjob/"
        "configmap/secret/ingress, "
        "autoscale, "
        "drain and "
        "auth: send JSON or "
        "YAML (e.g. kubectl create ... -o yaml --dry-run=client | kubectl apply -f -)"
    )


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise _Malformed("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value) of every field: an int, or bytes for length-delimited."""
    out, pos = [], 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise _Malformed("truncated field")
            value, pos = data[pos : pos + size], pos + size
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            if pos + width > len(data):
                raise _Malformed("truncated field")
            value, pos = int.from_bytes(data[pos : pos + width], "little"), pos + width
        else:
            raise _Malformed(f"wire type {wire}")
        out.append((number, wire, value))
    return out


def _scalar(kind: str, wire: int, value: Any) -> Any:
    if kind == "string":
        if wire != 2:
            raise _Malformed("string field with a numeric wire type")
        return value.decode("utf-8")
    if kind == "bytes":
        return value
    if wire != 0:
        raise _Malformed(f"{kind} field with a length-delimited wire type")
    if kind == "bool":
        return bool(value)
    if value >= 1 << 63:  # negative int32/int64 are ten-byte two's complement varints
        value -= 1 << 64
    return int(value)


def _special(name: str, obj: Obj) -> Any:
    """Messages that JSON writes as scalars: Time, IntOrString, Quantity."""
    if name == "Time":
        if not obj.get("seconds"):
            return None
        from datetime import UTC, datetime

        return datetime.fromtimestamp(obj["seconds"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if name == "IntOrString":
        return obj.get("strVal", "") if obj.get("type") == 1 else obj.get("intVal", 0)
    if name == "Quantity":
        return obj.get("string", "0")
    if name == "IngressRule" and "ingressRuleValue" in obj:
        obj.update(obj.pop("ingressRuleValue"))  # `json:",inline"`
    return obj


def _message(name: str, data: bytes, depth: int = 0) -> Any:
    if depth > 32:
        raise _Malformed("nested too deeply")
    schema = SCHEMAS[name]
    obj: Obj = {}
    for number, wire, value in _fields(data):
        field = schema.get(number)
        if field is None:
            if value in (0, b""):
                continue
            raise _refuse(f"protobuf field {number} of {name} is not understood")
        key, kind = field
        if kind == "skip":
            continue
        if isinstance(kind, list):
            item = _decode_value(kind[0], wire, value, depth)
            obj.setdefault(key, []).append(item)
        elif isinstance(kind, tuple):
            entry = {n: v for n, _w, v in _fields(value)}
            map_key = entry.get(1, b"").decode("utf-8")
            raw = entry.get(2, b"")
            obj.setdefault(key, {})[map_key] = (
                raw.decode("utf-8")
                if kind[1] == "string"
                else base64.b64encode(raw).decode()
                if kind[1] == "bytes"
                else _message(kind[1], raw, depth + 1)  # already a scalar where JSON has one
            )
        else:
            decoded = _decode_value(kind, wire, value, depth)
            if decoded in ("", 0, False, None) and (name, key) not in KEEP_ZERO and kind != "IntOrString":
                continue
            obj[key] = decoded
    return _special(name, obj)


def _decode_value(kind: str, wire: int, value: Any, depth: int) -> Any:
    if kind in SCHEMAS:
        if wire != 2:
            raise _Malformed(f"{kind} field with a numeric wire type")
        return _message(kind, value, depth + 1)
    return _scalar(kind, wire, value)


def decode(raw: bytes) -> Obj:
    """The Kubernetes JSON of a protobuf request body; 415 for anything this module cannot read,
    400 for bytes that are not protobuf."""
    from clusterlab.engine.errors import BadRequest

    if not raw.startswith(MAGIC):
        raise BadRequest("the protobuf body does not start with the Kubernetes magic number")
    try:
        envelope = _message("Unknown", raw[len(MAGIC) :])
        type_meta = envelope.get("typeMeta") or {}
        api_version, kind = type_meta.get("apiVersion", ""), type_meta.get("kind", "")
        name = TOP_LEVEL.get((api_version, kind))
        if name is None:
            raise _refuse(f"protobuf bodies of kind {kind[:40]!r} ({api_version[:40]}) are not read")
        if envelope.get("contentEncoding"):
            raise _refuse("encoded protobuf bodies are not read")
        obj = _message(name, envelope.get("raw", b""))
    except (_Malformed, UnicodeDecodeError, KeyError, AttributeError) as exc:
        raise BadRequest(f"error decoding protobuf: {exc}") from exc
    return {"apiVersion": api_version, "kind": kind, **obj}
