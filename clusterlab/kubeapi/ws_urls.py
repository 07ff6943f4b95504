"""WebSocket routes of the lab API (kubectl's streaming subresources). Mounted under `k8s/`."""

from django.urls import re_path

from clusterlab.kubeapi.exec_stream import ExecConsumer

websocket_urlpatterns = [
    re_path(
        r"^(?P<key>[A-Za-z0-9_-]+)/api/v1/namespaces/(?P<namespace>[a-z0-9-]+)/pods/(?P<name>[a-z0-9.-]+)/exec$",
        ExecConsumer.as_asgi(),
    ),
]
