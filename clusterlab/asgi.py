"""ASGI entry point: HTTP through Django, websockets through Channels.

Serve with ``daphne clusterlab.asgi:application``.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clusterlab.settings")

# Build the Django app first: it sets up the app registry the websocket routes import.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import re_path  # noqa: E402

from clusterlab.kubeapi.ws_urls import websocket_urlpatterns as kubeapi_streams  # noqa: E402
from clusterlab.labs.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter(
            [
                # The lab API's streams (kubectl exec): authenticated by the lab key in the path.
                # kubectl sends no Origin header, so they are not behind the browser origin check.
                re_path(r"^k8s/", URLRouter(kubeapi_streams)),
                re_path(
                    r"", AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
                ),
            ]
        ),
    }
)
