"""URL routes of the per-lab Kubernetes API and the kubeconfig download."""

from django.urls import path, re_path

from clusterlab.kubeapi import views

app_name = "kubeapi"

urlpatterns = [
    path("labs/<slug:lab_id>/kubeconfig/", views.download_kubeconfig, name="kubeconfig"),
    # Everything under the key, control characters included (the API answers those itself).
    re_path(r"^k8s/(?P<key>[^/]+)(?P<rest>/[\s\S]*)?\Z", views.kube_api, name="api"),
]
