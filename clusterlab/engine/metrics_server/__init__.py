"""metrics-server: the cluster add-on behind the Metrics API (`metrics.k8s.io`) and `kubectl top`.

`server.py` runs the add-on's process inside its pod and scrapes every kubelet,
`storage.py` keeps the last two readings and turns them into usage, `api.py` answers the
Metrics API's reads as the aggregated API server does.
"""

from .api import MetricsAPI
from .server import METRIC_RESOLUTION, MetricsServer

__all__ = ["METRIC_RESOLUTION", "MetricsAPI", "MetricsServer"]
