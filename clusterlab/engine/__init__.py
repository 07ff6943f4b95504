"""ClusterLab's simulated Kubernetes cluster: pure Python, deterministic, on a virtual clock.

    from clusterlab.engine import Cluster
    c = Cluster.from_scenario("default", seed=7)
    c.apply(manifest_yaml); c.advance(60); c.kill_node("worker-1")

The engine imports nothing from Django, asyncio or threads and never reads the wall clock.
"""

from .audit import ApiCall
from .cluster import Cluster
from .errors import (
    AlreadyExists,
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    ServiceUnavailable,
)

__all__ = [
    "AlreadyExists",
    "ApiCall",
    "ApiError",
    "BadRequest",
    "Cluster",
    "Conflict",
    "Forbidden",
    "Gone",
    "Invalid",
    "NotFound",
    "ServiceUnavailable",
]
