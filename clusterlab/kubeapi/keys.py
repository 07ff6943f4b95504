"""Which lab a request to the lab API is for: its secret key, in the URL or as a bearer token.

Over http kubectl sends no credentials, so the key is a path segment (`/k8s/<key>/…`). Over
https the kubeconfig uses the key-less `/k8s/-/…` and the key as the bearer token. A key that
is malformed or unknown finds no lab (the caller answers as for any unknown path).
"""

from __future__ import annotations

import re

from clusterlab.labs.models import Lab

KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
#: The key-less path segment: the key comes as `Authorization: Bearer <key>` instead.
TOKEN_PATH = "-"


async def lab_for(path_key: str, authorization: str) -> Lab | None:
    key = path_key
    if path_key == TOKEN_PATH:
        scheme, _, token = authorization.partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else ""
    if not KEY.fullmatch(key):
        return None
    return await Lab.objects.filter(api_key=key).afirst()
