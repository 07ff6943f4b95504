"""The StatefulSet controller's PersistentVolumeClaims: one per claim template and pod.

As `stateful_pod_control.go` (v1.32) does it:
- **Before a pod is created**, each of the set's `volumeClaimTemplates` becomes the claim
  `<template>-<set>-<ordinal>` in the set's namespace (`www-web-0`), with the template's spec
  and labels plus the set's `selector.matchLabels`; a claim that exists already is kept as it
  is (the data of `web-0` outlives every `web-0` pod). Each creation is recorded on the set:
  `create Claim www-web-0 Pod web-0 in StatefulSet web success` (SuccessfulCreate), or
  `create Claim … for Pod … in StatefulSet … failed error: …` (FailedCreate), and a failure —
  or a claim being deleted (`pvc www-web-0 is being deleted`) — stops the pod's creation.
- **persistentVolumeClaimRetentionPolicy** (StatefulSetAutoDeletePVC, on in 1.32): with
  `whenDeleted: Delete` each claim gets an owner reference to the set, so the garbage
  collector deletes the claims with the set; with `whenScaled: Delete` a claim whose pod is
  scaled away (its ordinal beyond `replicas`) gets an owner reference to that pod and goes
  with it. `Retain`/`Retain`, the default, leaves the claims unowned: they stay.

The owner references are brought up to date when a pod is created, at each sync of an
existing pod (`ClaimsMatchRetentionPolicy`: a claim created in the same sync as its pod is only
in the cache from the next one), and when a pod is condemned.
"""

from __future__ import annotations

from typing import Any

from ..errors import AlreadyExists, ApiError, NotFound
from ..jsonutil import copy_json

Obj = dict[str, Any]


def claim_name(template: Obj, set_name: str, ordinal: int) -> str:
    """`getPersistentVolumeClaimName`: `<template>-<set>-<ordinal>` (`www-web-0`)."""
    return f"{template['metadata']['name']}-{set_name}-{ordinal}"


def claims_for(sts: Obj, ordinal: int) -> list[Obj]:
    """`getPersistentVolumeClaims`: the claims the set's templates make for one ordinal."""
    out = []
    selector = ((sts.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    for template in (sts.get("spec") or {}).get("volumeClaimTemplates") or ():
        if not (template.get("metadata") or {}).get("name"):
            continue
        claim = copy_json(template)
        meta = claim.setdefault("metadata", {})
        meta["name"] = claim_name(template, sts["metadata"]["name"], ordinal)
        meta["namespace"] = sts["metadata"]["namespace"]
        meta["labels"] = {**(meta.get("labels") or {}), **selector}
        claim["apiVersion"], claim["kind"] = "v1", "PersistentVolumeClaim"
        claim.pop("status", None)
        out.append(claim)
    return out


def create_claims(ctl: Any, sts: Obj, pod: Obj, ordinal: int) -> None:
    """`createPersistentVolumeClaims`: create the pod's missing claims; raise if one fails."""
    errors: list[str] = []
    set_name, pod_name = sts["metadata"]["name"], pod["metadata"]["name"]
    for claim in claims_for(sts, ordinal):
        name, ns = claim["metadata"]["name"], claim["metadata"]["namespace"]
        existing = ctl.claim_informer.get(f"{ns}/{name}")
        if existing is not None:
            if existing["metadata"].get("deletionTimestamp"):
                errors.append(f"pvc {name} is being deleted")
            continue
        try:
            ctl.server.create(ctl.user, claim)
        except AlreadyExists:
            errors.append(f'failed to create PVC {name}: persistentvolumeclaims "{name}" already exists')
            continue
        except ApiError as exc:
            errors.append(f"failed to create PVC {name}: {exc.message}")
            message = f"create Claim {name} for Pod {pod_name} in StatefulSet {set_name} failed error: "
            message += exc.message
            ctl.recorder.event(sts, "Warning", "FailedCreate", message)
            continue
        message = f"create Claim {name} Pod {pod_name} in StatefulSet {set_name} success"
        ctl.recorder.event(sts, "Normal", "SuccessfulCreate", message)
    if errors:
        text = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
        raise ApiError(text)


def _ref(owner: Obj, api_version: str, kind: str) -> Obj:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
    }


def update_retention(ctl: Any, sts: Obj, pod: Obj, ordinal: int, in_range: bool) -> None:
    """`updateClaimOwnerRefForSetAndPod` for the pod's claims, written where they changed."""
    policy = (sts.get("spec") or {}).get("persistentVolumeClaimRetentionPolicy") or {}
    when_deleted = policy.get("whenDeleted") or "Retain"
    when_scaled = policy.get("whenScaled") or "Retain"
    set_uid, pod_uid = sts["metadata"].get("uid"), pod["metadata"].get("uid")
    want_set = when_deleted == "Delete" and (in_range or when_scaled != "Delete")
    want_pod = when_scaled == "Delete" and not in_range and bool(pod_uid)
    for claim in claims_for(sts, ordinal):
        key = f"{claim['metadata']['namespace']}/{claim['metadata']['name']}"
        existing = ctl.claim_informer.get(key)
        if existing is None:
            continue
        refs = [
            r
            for r in existing["metadata"].get("ownerReferences") or []
            if r.get("uid") not in (set_uid, pod_uid)
        ]
        if want_set:
            refs.append(_ref(sts, "apps/v1", "StatefulSet"))
        if want_pod:
            refs.append(_ref(pod, "v1", "Pod"))
        if refs == (existing["metadata"].get("ownerReferences") or []):
            continue
        updated = copy_json(existing)
        if refs:
            updated["metadata"]["ownerReferences"] = refs
        else:
            updated["metadata"].pop("ownerReferences", None)
        try:
            ctl.server.update(ctl.user, updated)
        except NotFound:
            continue
