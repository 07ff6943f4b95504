"""Kubernetes versions and the version-skew policy, as kubeadm and the kubelet enforce it.

The policy (kubernetes.io "Version Skew Policy", 1.32):
- kube-apiserver instances in an HA control plane are at most one minor apart, which is why
  kubeadm upgrades the control plane one minor version at a time (`kubeadm upgrade apply`
  refuses to skip one, and to downgrade more than one);
- kube-controller-manager and kube-scheduler must not be newer than the API servers they talk
  to (kubeadm upgrades a node's API server before them);
- a kubelet must not be newer than kube-apiserver, and may be up to three minors older
  (`kubeadm upgrade apply` refuses while a kubelet would fall further behind; `kubeadm join`
  refuses a kubelet newer than the control plane).

The messages are kubeadm's own (`phases/upgrade/policy.go`, the `KubeletVersion` preflight
check), with the `[upgrade/version] FATAL` framing `kubeadm upgrade apply` prints around them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import BadRequest
from .node.runtime import RELEASES

MAX_MINOR_UPGRADE_SKEW = 1  # MaximumAllowedMinorVersionUpgradeSkew
MAX_MINOR_DOWNGRADE_SKEW = 1  # MaximumAllowedMinorVersionDowngradeSkew
MAX_KUBELET_SKEW = 3  # MaximumAllowedMinorVersionKubeletSkew
_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return f"v{self.major}.{self.minor}.{self.patch}"

    @property
    def bare(self) -> str:
        """`1.32.0`, as kubeadm's preflight checks print versions."""
        return f"{self.major}.{self.minor}.{self.patch}"


def parse(text: str) -> Version:
    m = _VERSION.match(str(text).strip())
    if m is None:
        raise BadRequest(f'unable to parse version "{text}": expected the form v1.32.0')
    return Version(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def released(text: str) -> Version:
    """A version the package repository and the image registry have."""
    version = parse(text)
    if str(version) not in RELEASES:
        raise BadRequest(
            f"no Kubernetes release {version} in this lab's package repository "
            f"(available: {', '.join(RELEASES)})"
        )
    return version


class UpgradeRefused(BadRequest):
    """kubeadm or the kubelet refused a version change; the message is what it printed."""


def apply_errors(cluster: Version, target: Version, kubelets: list[Version]) -> tuple[list[str], list[str]]:
    """`EnforceVersionPolicies` for `kubeadm upgrade apply <target>`: (fatal errors, errors
    `--force` may skip). kubeadm is taken to be of the target version, as the upgrade
    instructions install it first."""
    fatal = []
    if target.minor > cluster.minor + MAX_MINOR_UPGRADE_SKEW:
        fatal.append(
            f'Specified version to upgrade to "{target}" is too high; kubeadm can upgrade only '
            f"{MAX_MINOR_UPGRADE_SKEW} minor version at a time"
        )
    if target.minor < cluster.minor - MAX_MINOR_DOWNGRADE_SKEW:
        fatal.append(
            f'Specified version to downgrade to "{target}" is too low; kubeadm can downgrade only '
            f"{MAX_MINOR_DOWNGRADE_SKEW} minor version at a time"
        )
    skippable = []
    too_old = sorted({str(k) for k in kubelets if target.minor > k.minor + MAX_KUBELET_SKEW})
    if too_old:
        skippable.append(
            "There are kubelets in this cluster that are too old that have these versions ["
            + " ".join(too_old)
            + "]"
        )
    return fatal, skippable


def refuse_apply(fatal: list[str], skippable: list[str], force: bool) -> UpgradeRefused | None:
    """kubeadm's refusal: fatal errors always, the others unless `--force`."""
    if fatal:
        listing = "".join(f"\t- {e}\n" for e in fatal)
        return UpgradeRefused(
            "[upgrade/version] FATAL: the --version argument is invalid due to these fatal errors:\n\n"
            f"{listing}\nPlease fix the misalignments highlighted above and try upgrading again"
        )
    if skippable and not force:
        listing = "".join(f"\t- {e}\n" for e in skippable)
        return UpgradeRefused(
            "[upgrade/version] FATAL: the --version argument is invalid due to these errors:\n\n"
            f"{listing}\nCan be bypassed if you pass the --force flag"
        )
    return None


def kubelet_error(kubelet: Version, control_plane: Version) -> str | None:
    """The `KubeletVersion` preflight check: a kubelet older than kubeadm supports (three
    minors behind its own), or newer than the control plane."""
    oldest = Version(control_plane.major, control_plane.minor - MAX_KUBELET_SKEW, 0)
    if kubelet < oldest:
        return f'Kubelet version "{kubelet.bare}" is lower than kubeadm can support. Please upgrade kubelet'
    if kubelet.major > control_plane.major or kubelet.minor > control_plane.minor:
        return (
            "the kubelet version is higher than the control plane version. This is not a supported "
            "version skew and may lead to a malfunctional cluster. "
            f'Kubelet version: "{kubelet.bare}" Control plane version: "{control_plane.bare}"'
        )
    return None


def refuse_preflight(check: str, error: str) -> UpgradeRefused:
    return UpgradeRefused(
        "error execution phase preflight: [preflight] Some fatal errors occurred:\n"
        f"\t[ERROR {check}]: {error}\n"
        "[preflight] If you know what you are doing, you can make a check non-fatal with "
        "`--ignore-preflight-errors=...`"
    )
