"""Pod IP addresses from the node's pod CIDR, as the CNI `host-local` IPAM plugin hands them out.

host-local gives each new sandbox the next free address after the last one it handed out
(wrapping around), not the lowest free one, so a replaced pod usually gets a new IP. Its
state lives on the node: a rebooted node starts handing out addresses afresh.
"""

from __future__ import annotations

from ..errors import ApiError


class HostLocalIPAM:
    def __init__(self, pod_cidr: str) -> None:
        self.base = pod_cidr.rsplit(".", 1)[0]  # a /24 such as 10.244.1.0/24
        self.next = 2
        self.used: set[int] = set()

    def allocate(self) -> str:
        for _ in range(253):
            n = self.next
            self.next = 2 if n >= 254 else n + 1
            if n not in self.used:
                self.used.add(n)
                return f"{self.base}.{n}"
        raise ApiError("failed to allocate for range 0: no IP addresses available in range set")

    def release(self, ip: str | None) -> None:
        if ip:
            self.used.discard(int(ip.rsplit(".", 1)[1]))
