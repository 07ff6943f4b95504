"""Who may do what: kube-apiserver's authorizers (`--authorization-mode=Node,RBAC`) and RBAC's
privilege-escalation checks.

Every request the API server serves is authorized before admission, as kube-apiserver's
authorization filter does it, by a union of authorizers asked in turn until one allows:

1. the privileged group: members of `system:masters` may do anything;
2. the Node authorizer: a kubelet (`system:node:<name>` in `system:nodes`) gets what the
   `system:node` rules grant;
3. RBAC: the rules of every Role and ClusterRole bound to the user, one of their groups, or
   their service account, by ClusterRoleBindings and (in the request's namespace)
   RoleBindings. A binding whose role is missing grants nothing and says so in the reason.

A denial is the real Forbidden: `pods is forbidden: User "jane" cannot list resource "pods" in
API group "" in the namespace "default"`.

Creating or updating a Role, ClusterRole or binding runs RBAC's escalation checks (the registry's
"policy-based" storage): the requester must already hold every permission the role grants (or
the role bound), unless they may `escalate` roles (`bind` them), or are in `system:masters`.

Decisions are cached per request shape and the cache is dropped whenever an RBAC object is
written, so the controllers' many identical requests cost one dictionary lookup each.

Simplified: the Node authorizer does not track which pods, secrets and volumes belong to which
node (the real one walks a graph), and NodeRestriction admission is not simulated, so a kubelet
may read any pod. Authentication is the lab's: who a request comes from is given, not proven
(the lab's API key stands for the admin's client certificate).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from .audit import User
from .errors import Forbidden
from .rbac_policy import NODE_RULES, RBAC_GROUP
from .store import Store

Obj = dict[str, Any]
RBAC_PLURALS = frozenset({"roles", "clusterroles", "rolebindings", "clusterrolebindings"})
SA_PREFIX = "system:serviceaccount:"
NODE_PREFIX = "system:node:"
MASTERS = "system:masters"
AUTHENTICATED = "system:authenticated"
CACHE_LIMIT = 50_000
#: The groups the lab's authenticators give identities whose groups are not spelled out.
KNOWN_GROUPS = {
    "kubernetes-admin": ("kubeadm:cluster-admins", AUTHENTICATED),
    "system:apiserver": (AUTHENTICATED, MASTERS),
}


def groups_of(user: User) -> tuple[str, ...]:
    """The groups an authenticated request carries: explicit ones plus `system:authenticated`,
    else what the authenticator gives the identity (a service account token: its account's
    groups; a kubelet's certificate: `system:nodes`; kubeadm's admin certificate:
    `kubeadm:cluster-admins`)."""
    if user.groups:
        groups = tuple(user.groups)
        return groups if AUTHENTICATED in groups else (*groups, AUTHENTICATED)
    name = user.name
    if name in KNOWN_GROUPS:
        return KNOWN_GROUPS[name]
    if name.startswith(SA_PREFIX):
        namespace = name[len(SA_PREFIX) :].split(":", 1)[0]
        return ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", AUTHENTICATED)
    if name.startswith(NODE_PREFIX):
        return ("system:nodes", AUTHENTICATED)
    return (AUTHENTICATED,)


@dataclass(frozen=True, slots=True)
class Attributes:
    """What is being asked (client-go's authorizer.Attributes)."""

    user: str
    groups: tuple[str, ...]
    verb: str
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""  # a non-resource request (`/healthz`, `/version`)

    @property
    def is_resource_request(self) -> bool:
        return not self.path


def forbidden_message(a: Attributes) -> str:
    """kube-apiserver's wording of an authorization denial (without the resource prefix)."""
    if not a.is_resource_request:
        return f"User {_q(a.user)} cannot {a.verb} path {_q(a.path)}"
    resource = f"{a.resource}/{a.subresource}" if a.subresource else a.resource
    head = f"User {_q(a.user)} cannot {a.verb} resource {_q(resource)} in API group {_q(a.group)}"
    if a.namespace:
        return f"{head} in the namespace {_q(a.namespace)}"
    return f"{head} at the cluster scope"


def forbidden(a: Attributes, reason: str = "") -> Forbidden:
    """The 403 the authorization filter answers: `<group resource> ["<name>"] is forbidden: …`."""
    message = forbidden_message(a)
    if reason:
        message = f"{message}: {reason}"
    qualified = f"{a.resource}.{a.group}" if a.group else a.resource
    if not a.is_resource_request:
        return Forbidden(f"forbidden: {message}")
    prefix = f'{qualified} "{a.name}"' if a.name else qualified
    return Forbidden(
        f"{prefix} is forbidden: {message}",
        details={k: v for k, v in (("name", a.name), ("group", a.group), ("kind", a.resource)) if v},
    )


def _q(text: str) -> str:
    """Go's %q for the strings that appear here."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- rules ----------------------------------------------------------------------------------


def rule_allows(a: Attributes, rule: Obj) -> bool:
    """RBAC's RuleAllows: verb, API group, resource (with subresource), resource name; or, for a
    non-resource request, verb and URL (a trailing `*` matches a prefix)."""
    verbs = rule.get("verbs") or ()
    if "*" not in verbs and a.verb not in verbs:
        return False
    if not a.is_resource_request:
        for url in rule.get("nonResourceURLs") or ():
            if url == "*" or url == a.path or (url.endswith("*") and a.path.startswith(url[:-1])):
                return True
        return False
    groups = rule.get("apiGroups") or ()
    if "*" not in groups and a.group not in groups:
        return False
    combined = f"{a.resource}/{a.subresource}" if a.subresource else a.resource
    resources = rule.get("resources") or ()
    if not any(r == "*" or r == combined or (a.subresource and r == f"*/{a.subresource}") for r in resources):
        return False
    names = rule.get("resourceNames") or ()
    return not names or a.name in names


def _subject_matches(subject: Obj, user: str, groups: tuple[str, ...], binding_ns: str) -> bool:
    kind = subject.get("kind")
    if kind == "User":
        return subject.get("name") == user
    if kind == "Group":
        return subject.get("name") in groups
    if kind == "ServiceAccount":
        ns = subject.get("namespace") or binding_ns
        return user == f"{SA_PREFIX}{ns}:{subject.get('name')}"
    return False


class Authorizer:
    """The union authorizer over the store's RBAC objects (read as the real one reads its
    informers' caches: directly, without API requests)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._decisions: dict[Attributes, tuple[bool, str]] = {}
        # (user, groups, namespace) → the bindings' rules that apply, and resolution errors
        self._names_matter: dict[Attributes, bool] = {}
        self._compiled: dict[
            tuple[str, tuple[str, ...], str], tuple[list[tuple[str, list[Obj]]], list[str]]
        ] = {}

    def invalidate(self) -> None:
        """An RBAC object changed: every cached decision and compiled rule set may be stale."""
        self._decisions.clear()
        self._compiled.clear()
        self._names_matter.clear()

    def names_matter(self, a: Attributes) -> bool:
        """Whether a rule that could allow this request (`a` without a name: user, verb,
        resource, namespace) lists resourceNames; if none does, the decision is the same for
        every object name, and is cached once for all of them."""
        found = self._names_matter.get(a)
        if found is None:
            sources, _ = self._compiled_rules(a.user, a.groups, a.namespace)
            rules = [rule for _, rules in sources for rule in rules]
            if a.user.startswith(NODE_PREFIX):
                rules += NODE_RULES
            found = any(
                rule.get("resourceNames") and rule_allows(a, {**rule, "resourceNames": []}) for rule in rules
            )
            if len(self._names_matter) >= CACHE_LIMIT:
                self._names_matter.clear()
            self._names_matter[a] = found
        return found

    def _compiled_rules(
        self, user: str, groups: tuple[str, ...], namespace: str
    ) -> tuple[list[tuple[str, list[Obj]]], list[str]]:
        """What applies to a user in a namespace, resolved from the bindings once per RBAC change."""
        key = (user, groups, namespace)
        found = self._compiled.get(key)
        if found is None:
            errors: list[str] = []
            found = (list(self.sources(user, groups, namespace, errors)), errors)
            if len(self._compiled) >= CACHE_LIMIT:
                self._compiled.clear()
            self._compiled[key] = found
        return found

    def authorize(self, a: Attributes) -> tuple[bool, str]:
        """(allowed, reason) — the reason explains a denial the way kube-apiserver would."""
        cached = self._decisions.get(a)
        if cached is not None:
            return cached
        if a.name and MASTERS not in a.groups and not self.names_matter(general := replace(a, name="")):
            a = general  # no rule that could apply names objects: one decision for every name
            cached = self._decisions.get(a)
            if cached is not None:
                return cached
        decision = self._decide(a)
        if len(self._decisions) >= CACHE_LIMIT:
            self._decisions.clear()
        self._decisions[a] = decision
        return decision

    def check(self, a: Attributes) -> None:
        allowed, reason = self.authorize(a)
        if not allowed:
            raise forbidden(a, reason)

    def _decide(self, a: Attributes) -> tuple[bool, str]:
        if MASTERS in a.groups:
            return True, ""
        is_node = a.user.startswith(NODE_PREFIX) and "system:nodes" in a.groups
        if is_node and any(rule_allows(a, r) for r in NODE_RULES):
            return True, ""
        sources, errors = self._compiled_rules(a.user, a.groups, a.namespace)
        for source, rules in sources:
            if any(rule_allows(a, rule) for rule in rules):
                return True, f"RBAC: allowed by {source}"
        if not errors:
            return False, ""
        return False, "RBAC: " + (errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")

    # -- rule resolution (the DefaultRuleResolver) -----------------------------------------

    def sources(
        self, user: str, groups: tuple[str, ...], namespace: str, errors: list[str] | None = None
    ) -> Iterator[tuple[str, list[Obj]]]:
        """(how the rules came to apply, the rules) for every binding of the user in `namespace`
        ("" for cluster scope only): ClusterRoleBindings first, then the namespace's RoleBindings.
        The description is RBAC's: `ClusterRoleBinding "x" of ClusterRole "y" to Group "z"`."""
        for binding in self.store.iter("clusterrolebindings"):
            subject = _matching_subject(binding, user, groups, "")
            if subject is not None:
                ref = binding.get("roleRef") or {}
                desc = (
                    f"ClusterRoleBinding {_q(binding['metadata']['name'])} of {ref.get('kind', '')} "
                    f"{_q(ref.get('name') or '')} to {_describe(subject, '')}"
                )
                yield desc, self.role_rules(ref, "", errors)
        if namespace:
            for binding in self.store.iter("rolebindings", namespace):
                subject = _matching_subject(binding, user, groups, namespace)
                if subject is not None:
                    ref = binding.get("roleRef") or {}
                    desc = (
                        f"RoleBinding {_q(binding['metadata']['name'] + '/' + namespace)} of "
                        f"{ref.get('kind', '')} {_q(ref.get('name') or '')} to "
                        f"{_describe(subject, namespace)}"
                    )
                    yield desc, self.role_rules(ref, namespace, errors)

    def rules_for(
        self, user: str, groups: tuple[str, ...], namespace: str, errors: list[str] | None = None
    ) -> Iterator[Obj]:
        """Every rule that applies to the user in `namespace`."""
        for _source, rules in self.sources(user, groups, namespace, errors):
            yield from rules

    def role_rules(self, ref: Obj, namespace: str, errors: list[str] | None = None) -> list[Obj]:
        """The rules of the role a roleRef names (a missing role grants nothing: an error)."""
        name = ref.get("name") or ""
        if ref.get("kind") == "ClusterRole":
            role = self.store.get("clusterroles", None, name)
            missing = f'clusterrole.{RBAC_GROUP} "{name}" not found'
        else:
            role = self.store.get("roles", namespace, name) if namespace else None
            missing = f'role.{RBAC_GROUP} "{name}" not found'
        if role is None:
            if errors is not None:
                errors.append(missing)
            return []
        return list(role.get("rules") or ())


def _matching_subject(binding: Obj, user: str, groups: tuple[str, ...], namespace: str) -> Obj | None:
    for subject in binding.get("subjects") or ():
        if isinstance(subject, dict) and _subject_matches(subject, user, groups, namespace):
            return subject
    return None


def _describe(subject: Obj, namespace: str) -> str:
    if subject.get("kind") == "ServiceAccount":
        return (
            f"ServiceAccount {_q(str(subject.get('name')) + '/' + (subject.get('namespace') or namespace))}"
        )
    return f"{subject.get('kind')} {_q(str(subject.get('name')))}"


# -- escalation checks (what "policy-based" RBAC storage does) ------------------------------


def breakdown(rule: Obj) -> Iterator[Obj]:
    """One atomic rule per (group, resource, verb, name) or (URL, verb), as RBAC compares them."""
    verbs = rule.get("verbs") or []
    for group in rule.get("apiGroups") or []:
        for resource in rule.get("resources") or []:
            for verb in verbs:
                names = rule.get("resourceNames") or [None]
                for name in names:
                    out: Obj = {"apiGroups": [group], "resources": [resource], "verbs": [verb]}
                    if name is not None:
                        out["resourceNames"] = [name]
                    yield out
    for url in rule.get("nonResourceURLs") or []:
        for verb in verbs:
            yield {"nonResourceURLs": [url], "verbs": [verb]}


def _has(owned: Iterable[str], wanted: str) -> bool:
    owned = list(owned)
    return "*" in owned or wanted in owned


def _covers_resource(owned: Iterable[str], wanted: str) -> bool:
    for r in owned:
        if r in ("*", wanted):
            return True
        if r.startswith("*/") and "/" in wanted and wanted.split("/", 1)[1] == r[2:]:
            return True
    return False


def _rule_covers(owner: Obj, atom: Obj) -> bool:
    if not _has(owner.get("verbs") or [], atom["verbs"][0]):
        return False
    if "nonResourceURLs" in atom:
        url = atom["nonResourceURLs"][0]
        return any(
            u in ("*", url) or (u.endswith("*") and url.startswith(u[:-1]))
            for u in owner.get("nonResourceURLs") or []
        )
    if not _has(owner.get("apiGroups") or [], atom["apiGroups"][0]):
        return False
    if not _covers_resource(owner.get("resources") or [], atom["resources"][0]):
        return False
    owner_names = owner.get("resourceNames") or []
    if not owner_names:
        return True
    return bool(atom.get("resourceNames")) and atom["resourceNames"][0] in owner_names


def missing_rights(owned: list[Obj], wanted: Iterable[Obj]) -> list[Obj]:
    """The atomic rules of `wanted` no rule in `owned` covers (RBAC's Covers)."""
    return [
        atom for rule in wanted for atom in breakdown(rule) if not any(_rule_covers(o, atom) for o in owned)
    ]


def compact_string(rule: Obj) -> str:
    """A rule as escalation errors print it:
    `{APIGroups:["apps"], Resources:["deployments"], Verbs:["delete"]}`."""
    parts = []
    for label, key in (
        ("APIGroups", "apiGroups"),
        ("Resources", "resources"),
        ("NonResourceURLs", "nonResourceURLs"),
        ("ResourceNames", "resourceNames"),
        ("Verbs", "verbs"),
    ):
        if rule.get(key):
            parts.append(f"{label}:[" + " ".join(_q(v) for v in rule[key]) + "]")
    return "{" + ", ".join(parts) + "}"


def compact(atoms: list[Obj]) -> list[Obj]:
    """Atoms that differ only in verb merge into one rule (RBAC's CompactRules)."""
    merged: dict[tuple[str, str], Obj] = {}
    out: list[Obj] = []
    for atom in atoms:
        if "resources" in atom and "resourceNames" not in atom:
            key = (atom["apiGroups"][0], atom["resources"][0])
            if key in merged:
                if atom["verbs"][0] not in merged[key]["verbs"]:
                    merged[key]["verbs"].append(atom["verbs"][0])
                continue
            merged[key] = {**atom, "verbs": list(atom["verbs"])}
            out.append(merged[key])
        else:
            out.append(atom)
    return out


def escalation_error(user: str, groups: tuple[str, ...], missing: list[Obj]) -> str:
    held = "[" + " ".join(_q(g) for g in groups) + "]"
    lines = sorted({compact_string(r) for r in compact(missing)})
    return (
        f"user {_q(user)} (groups={held}) is attempting to grant RBAC permissions not currently held:\n"
        + "\n".join(lines)
    )
