"""Names and identifiers generated the way Kubernetes generates them.

- `generateName` suffixes: 5 characters from apimachinery's `utilrand` alphabet
  (`bcdfghjklmnpqrstvwxz2456789`: no vowels, no look-alikes), so pods are `web-5d8f7c9b4-x2kqz`.
- `pod-template-hash`: the Deployment controller hashes the pod template with FNV-32a and
  encodes the decimal digits with `rand.SafeEncodeString`. Kubernetes hashes Go's spew dump
  of the struct; we hash canonical JSON, so the value differs from a real cluster's but has
  the same shape and the same property (same template, same hash).
- UIDs: RFC 4122 version-4 strings drawn from the cluster's seeded random source.
"""

from __future__ import annotations

import json
import random
from typing import Any

ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"


def random_suffix(rng: random.Random, length: int = 5) -> str:
    return "".join(ALPHANUMS[rng.randrange(len(ALPHANUMS))] for _ in range(length))


def safe_encode(text: str) -> str:
    return "".join(ALPHANUMS[ord(ch) % len(ALPHANUMS)] for ch in text)


def fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for byte in data:
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def pod_template_hash(template: dict[str, Any], collision_count: int = 0) -> str:
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += str(collision_count).encode()
    return safe_encode(str(fnv32a(data)))


def new_uid(rng: random.Random) -> str:
    n = rng.getrandbits(128)
    n = (n & ~(0xF000 << 64)) | (0x4000 << 64)  # version 4
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)  # RFC 4122 variant
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
