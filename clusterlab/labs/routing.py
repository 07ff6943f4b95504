"""Websocket routes of the labs app."""

from django.urls import path

from clusterlab.labs.consumers import LabConsumer

websocket_urlpatterns = [
    path("ws/labs/<slug:lab_id>/", LabConsumer.as_asgi()),
]
