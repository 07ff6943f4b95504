"""The facade's NetworkPolicy reads: what the network plugin dropped, and why a connection
between two pods would pass or not.

The lab's network plugin (Canal: Calico's policy agent on flannel's network, see
`network/policy.py`) drops what the policies do not allow; the traffic path counts each drop
against the policies that isolated the refusing side. `network_policy_drops()` reads those
counts, `recent_policy_drops()` the last drops with their reasons, and
`explain_connection()` judges a connection between two pods without sending it (nothing is
counted), naming the rule that allows it or the policies that isolate the side refusing it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import BadRequest, NotFound
from .network.policy import Drop, Verdict, end_of_pod, evaluate

if TYPE_CHECKING:
    from .network.traffic import Network
    from .store import Store

Obj = dict[str, Any]


class NetworkPolicyVerbs:
    """Mixed into `Cluster`."""

    # Provided by Cluster.
    network: Network
    store: Store

    def network_policy_drops(self, namespace: str | None = None) -> dict[tuple[str, str], int]:
        """Connections each NetworkPolicy dropped so far, by (namespace, name)."""
        out: dict[tuple[str, str], int] = {}
        for key, count in sorted(self.network.policy_drops.counts.items()):
            ns, _, name = key.partition("/")
            if namespace is None or ns == namespace:
                out[(ns, name)] = count
        return out

    def recent_policy_drops(self) -> list[Drop]:
        """The most recent dropped connections, oldest first."""
        return list(self.network.policy_drops.recent)

    def explain_connection(
        self, source: str, destination: str, port: int, namespace: str = "default", protocol: str = "TCP"
    ) -> Verdict:
        """Whether a new connection from pod `source` to pod `destination` (`name` in
        `namespace`, or `namespace/name`) on `port` would pass the policies, and why."""
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise BadRequest(f"invalid port {port!r}: must be between 1 and 65535")
        ends = []
        for ref in (source, destination):
            ns, _, name = ref.rpartition("/")
            pod = self.store.get("pods", ns or namespace, name)
            if pod is None:
                raise NotFound(f'pods "{name}" not found')
            node = (pod.get("spec") or {}).get("nodeName") or ""
            ends.append(end_of_pod(pod, self.network.node_ip(node) if node in self.network.kubelets else ""))
        return evaluate(self.store, ends[0], ends[1], port, protocol)
