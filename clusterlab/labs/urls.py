"""URL routes of the labs app."""

from django.urls import path

from clusterlab.labs import views

app_name = "labs"

urlpatterns = [
    path("", views.home, name="home"),
    path("labs/", views.create_lab, name="create"),
    path("labs/<slug:lab_id>/", views.lab_page, name="lab"),
    path("labs/<slug:lab_id>/rewind/", views.rewind_page, name="rewind"),
    path("labs/<slug:lab_id>/manifest/check/", views.check_manifest_view, name="check-manifest"),
    path("labs/<slug:lab_id>/kubectl/", views.kubectl_console, name="kubectl"),
    path("labs/<slug:lab_id>/kubectl/complete/", views.kubectl_complete, name="kubectl-complete"),
    path("labs/<slug:lab_id>/api-calls/<int:seq>/", views.api_call_detail, name="api-call"),
    path(
        "labs/<slug:lab_id>/pods/<str:namespace>/<str:name>/scheduling/",
        views.pod_scheduling,
        name="pod-scheduling",
    ),
    path(
        "labs/<slug:lab_id>/hpas/<str:namespace>/<str:name>/",
        views.hpa_inspector,
        name="hpa-inspector",
    ),
    path(
        "labs/<slug:lab_id>/deployments/<str:namespace>/<str:name>/rollout/",
        views.rollout_inspector,
        name="rollout-inspector",
    ),
    path("labs/<slug:lab_id>/nodes/<str:node>/proxy-rules/", views.node_proxy_rules, name="proxy-rules"),
    path(
        "labs/<slug:lab_id>/workloads/<slug:kind>/<str:namespace>/<str:name>/",
        views.workload_inspector,
        name="workload-inspector",
    ),
]
