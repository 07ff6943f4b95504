"""Create-only review resources the API server answers itself, without storing anything:
`kubectl auth can-i` (SelfSubjectAccessReview) and `kubectl auth whoami` (SelfSubjectReview).

The lab has no RBAC yet and the learner is the cluster's admin (`kubernetes-admin`, in
kubeadm's `kubeadm:cluster-admins` group), so every access review is allowed, with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clusterlab.engine.errors import BadRequest
from clusterlab.kubeapi.errors import method_not_allowed
from clusterlab.kubeapi.messages import LEARNER_NAME, ApiRequest, ApiResponse
from clusterlab.kubeapi.routing import split_path

Obj = dict[str, Any]
ADMIN_GROUPS = ["kubeadm:cluster-admins", "system:authenticated"]


@dataclass(frozen=True)
class Review:
    """A review resource, as discovery lists it."""

    group: str
    version: str
    plural: str
    kind: str


REVIEWS = (
    Review("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview"),
    Review("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview"),
)


def find(path: str) -> Review | None:
    """The review served at ``path`` (`/apis/<group>/<version>/<plural>`), if any."""
    parts = split_path(path)
    for r in REVIEWS:
        if parts == ["apis", r.group, r.version, r.plural]:
            return r
    return None


def handle(review: Review, req: ApiRequest) -> ApiResponse:
    """POST a review: the answer is the review with its status filled in (201)."""
    if req.method != "POST":
        raise method_not_allowed()
    body = req.body if req.body is not None else {}
    if not isinstance(body, dict):
        raise BadRequest(f"the request body must be a {review.kind} object")
    meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    out: Obj = {
        "kind": review.kind,
        "apiVersion": f"{review.group}/{review.version}",
        "metadata": {
            "creationTimestamp": None,
            **{k: v for k, v in meta.items() if k != "creationTimestamp"},
        },
    }
    if review.kind == "SelfSubjectAccessReview":
        spec = body.get("spec")
        if not isinstance(spec, dict) or not (
            spec.get("resourceAttributes") or spec.get("nonResourceAttributes")
        ):
            raise BadRequest(
                "SelfSubjectAccessReview.authorization.k8s.io is invalid: spec.resourceAttributes: Invalid "
                "value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified"
            )
        out["spec"] = spec
        out["status"] = {
            "allowed": True,
            "reason": f"{LEARNER_NAME} is in the kubeadm:cluster-admins group: this lab has no RBAC yet",
        }
    else:
        out["status"] = {"userInfo": {"username": LEARNER_NAME, "groups": list(ADMIN_GROUPS)}}
    return ApiResponse(201, out)
