"""Create-only review resources the API server answers itself, without storing anything:
`kubectl auth can-i` (SelfSubjectAccessReview), SubjectAccessReview (may *this* user…?) and
`kubectl auth whoami` (SelfSubjectReview).

An access review runs the request's attributes through the same authorizers every request
meets (`clusterlab.engine.rbac`), so `kubectl auth can-i list pods
--as=system:serviceaccount:default:default` says `no`, as on a real cluster, and an allowed
answer carries RBAC's reason (`RBAC: allowed by ClusterRoleBinding "kubeadm:cluster-admins" of
ClusterRole "cluster-admin" to Group "kubeadm:cluster-admins"`). Creating a review is itself
authorized (`system:basic-user` lets every authenticated user review themselves).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clusterlab.engine import Cluster
from clusterlab.engine.audit import User
from clusterlab.engine.errors import BadRequest, Invalid, invalid
from clusterlab.engine.rbac import Attributes
from clusterlab.kubeapi.errors import method_not_allowed
from clusterlab.kubeapi.messages import ApiRequest, ApiResponse
from clusterlab.kubeapi.routing import split_path

Obj = dict[str, Any]


@dataclass(frozen=True)
class Review:
    """A review resource, as discovery lists it."""

    group: str
    version: str
    plural: str
    kind: str


REVIEWS = (
    Review("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview"),
    Review("authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview"),
    Review("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview"),
)
_EXACTLY_ONE = (
    "spec.resourceAttributes",
    'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
)


def find(path: str) -> Review | None:
    """The review served at ``path`` (`/apis/<group>/<version>/<plural>`), if any."""
    parts = split_path(path)
    for r in REVIEWS:
        if parts == ["apis", r.group, r.version, r.plural]:
            return r
    return None


def handle(review: Review, req: ApiRequest, cluster: Cluster) -> ApiResponse:
    """POST a review: the answer is the review with its status filled in (201)."""
    if req.method != "POST":
        raise method_not_allowed()
    server = cluster.server
    user = req.user
    server.authorizer.check(Attributes(user.name, server.groups(user), "create", review.group, review.plural))
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
    if review.kind == "SelfSubjectReview":
        out["status"] = {"userInfo": {"username": user.name, "groups": list(server.groups(user))}}
        return ApiResponse(201, out)
    spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
    subject = user
    if review.kind == "SubjectAccessReview":
        name = spec.get("user") or ""
        groups = tuple(g for g in spec.get("groups") or () if isinstance(g, str))
        if not name and not groups:
            raise _invalid(
                review, ("spec.user", 'Invalid value: "": at least one of user or group must be specified')
            )
        subject = User(str(name), "subjectaccessreview", groups)
    resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if bool(resource) == bool(non_resource):
        raise _invalid(review, _EXACTLY_ONE)
    # A SubjectAccessReview judges exactly the groups it names; a self review, the requester's.
    groups = subject.groups if review.kind == "SubjectAccessReview" else server.groups(subject)
    if isinstance(resource, dict):
        attributes = Attributes(
            subject.name,
            groups,
            str(resource.get("verb") or ""),
            str(resource.get("group") or ""),
            str(resource.get("resource") or ""),
            str(resource.get("subresource") or ""),
            str(resource.get("namespace") or ""),
            str(resource.get("name") or ""),
        )
    else:
        assert isinstance(non_resource, dict)
        attributes = Attributes(
            subject.name,
            groups,
            str(non_resource.get("verb") or ""),
            path=str(non_resource.get("path") or ""),
        )
    allowed, reason = server.authorizer.authorize(attributes)
    out["spec"] = spec
    status: Obj = {"allowed": allowed}
    if reason:
        status["reason"] = reason
    out["status"] = status
    return ApiResponse(201, out)


def _invalid(review: Review, cause: tuple[str, str]) -> Invalid:
    """apimachinery's NewInvalid for a nameless review: `SelfSubjectAccessReview.authorization.k8s.io
    "" is invalid: <field>: <message>` (422)."""
    return invalid(review.kind, review.group, "", [cause])
