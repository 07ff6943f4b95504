"""Top-level URL routes."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("clusterlab.kubeapi.urls")),
    path("", include("clusterlab.labs.urls")),
]
