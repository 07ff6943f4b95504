"""Pages: the landing page, opening a lab, and the live lab page."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from clusterlab.engine import Cluster, scenarios
from clusterlab.engine.audit import AUDIT_LIMIT
from clusterlab.engine.manifest_check import check_manifest
from clusterlab.engine.validation import name_causes
from clusterlab.labs import (
    api_stream,
    autoscaling,
    console,
    proxy_rules,
    rewind,
    rollout,
    scheduling,
    workloads,
)
from clusterlab.labs.access import aget_owned_lab, owned_labs
from clusterlab.labs.board import clock_text
from clusterlab.labs.commandlog import load_commands
from clusterlab.labs.fragments import page_context
from clusterlab.labs.live import LiveLab, get_live_lab
from clusterlab.labs.models import Lab

#: How many of a visitor's labs the landing page lists.
MY_LABS_SHOWN = 10


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """What ClusterLab is, the "Open a lab" form, and the visitor's own labs."""
    labs = owned_labs(request.user, request.session.session_key).order_by("-created")[:MY_LABS_SHOWN]
    offered = {name: scenarios.load(name) for name in scenarios.available()}
    choices = [(name, s.title, s.description) for name, s in offered.items()]
    return render(request, "home.html", {"labs": list(labs), "scenarios": choices})


@require_POST
def create_lab(request: HttpRequest) -> HttpResponse:
    """Create a lab owned by the current user, or by this browser's session, on the scenario
    chosen (``default`` unless the form says otherwise)."""
    scenario = request.POST.get("scenario") or "default"
    if scenario not in scenarios.available():
        return HttpResponseBadRequest("Unknown scenario.")
    if request.user.is_authenticated:
        lab = Lab.objects.create(owner=request.user, scenario=scenario)
    else:
        # Loading the session drops a key the server never issued; then make a real one.
        request.session["opened_labs"] = True
        if not request.session.session_key:
            request.session.create()
        lab = Lab.objects.create(owner_session_key=request.session.session_key or "", scenario=scenario)
    return redirect("labs:lab", lab_id=lab.id)


async def _owned_lab(request: HttpRequest, lab_id: str) -> Lab:
    """The lab if this visitor owns it; a 404 that says nothing otherwise."""
    user = await request.auser()
    lab = await aget_owned_lab(lab_id, user, request.session.session_key)
    if lab is None:
        raise Http404("No such lab.")
    return lab


@require_GET
async def lab_page(request: HttpRequest, lab_id: str) -> HttpResponse:
    """The live lab page, rendered from the lab's running cluster."""
    lab = await _owned_lab(request, lab_id)
    live = await get_live_lab(lab)
    context = page_context(live.runner.board())
    context["lab"] = lab
    context["scenario"] = scenarios.load(lab.scenario)  # a troubleshooting scenario's task
    return render(request, "labs/lab.html", context)


@require_GET
@xframe_options_sameorigin  # the lab page shows it in a frame, in place of the live map
async def rewind_page(request: HttpRequest, lab_id: str) -> HttpResponse:
    """The lab's cluster as it was at virtual time ``?t=<seconds>``: read-only, rebuilt by replay."""
    lab = await _owned_lab(request, lab_id)
    live = await get_live_lab(lab)
    now = live.runner.now
    try:
        t = float(request.GET.get("t", ""))
    except ValueError:
        return HttpResponseBadRequest("t must be a number of virtual seconds.")
    if not 0 <= t <= now:
        return HttpResponseBadRequest(f"t must be between 0 and {int(now)} (the lab's virtual time now).")
    commands = await load_commands(lab.id)
    board = await asyncio.to_thread(
        rewind.board_at,
        lab.id,
        scenario=lab.scenario,
        seed=lab.seed,
        epoch=lab.created,
        commands=commands,
        t=t,
    )
    context = page_context(board)
    context.update(
        lab=lab,
        readonly=True,
        rewind={"seconds": int(t), "time": clock_text(t), "now": clock_text(now)},
    )
    return render(request, "labs/rewind.html", context)


@require_POST
async def check_manifest_view(request: HttpRequest, lab_id: str) -> HttpResponse:
    """The YAML editor's live check: every problem of the manifest, each with its line."""
    await _owned_lab(request, lab_id)  # only its owner may use it
    text = request.POST.get("manifest", "")
    problems = check_manifest(text) if text.strip() else []
    return render(
        request,
        "labs/editor.html#problems",
        {"problems": problems, "checked": bool(text.strip()), "documents": _document_count(text)},
    )


def _document_count(text: str) -> int:
    """How many non-empty documents a manifest has (for "2 objects, no problems")."""
    parts = [p for p in text.replace("\r\n", "\n").split("\n---") if p.strip() and p.strip() != "---"]
    return len(parts)


async def _owned_live_lab(request: HttpRequest, lab_id: str) -> LiveLab:
    lab = await _owned_lab(request, lab_id)
    live = await get_live_lab(lab)
    live.touch()
    return live


@require_POST
async def kubectl_console(request: HttpRequest, lab_id: str) -> HttpResponse:
    """One console command (or the YAML editor's apply, `apply -f -` with the manifest as stdin)."""
    live = await _owned_live_lab(request, lab_id)
    stdin = request.POST.get("stdin") or request.POST.get("manifest") or ""
    entry = await console.run_command(live, request.POST.get("command", ""), stdin, server=request.get_host())
    return render(request, "labs/console.html#console_entry", {"entry": entry})


@require_GET
async def kubectl_complete(request: HttpRequest, lab_id: str) -> JsonResponse:
    """Tab completion for the console: candidates and the line completed as far as they agree."""
    live = await _owned_live_lab(request, lab_id)
    line = request.GET.get("line", "")[: console.MAX_COMMAND_CHARS]
    try:
        cursor = int(request.GET.get("cursor", len(line)))
    except ValueError:
        cursor = len(line)
    options, new_line, new_cursor = console.complete_line(live, line, cursor)
    return JsonResponse({"completions": options, "line": new_line, "cursor": new_cursor})


@require_GET
async def api_call_detail(request: HttpRequest, lab_id: str, seq: int) -> HttpResponse:
    """One call of the API-call stream in detail (the stream pauses on it)."""
    live = await _owned_live_lab(request, lab_id)
    call = api_stream.find(live.runner.cluster, seq)
    context = {
        "call": api_stream.api_call_detail(call) if call is not None else None,
        "seq": seq,
        "kept": AUDIT_LIMIT,
    }
    return render(request, "labs/lab.html#api_call_detail", context)


@dataclass(frozen=True)
class _Inspector:
    """One kind of inspector panel: `inspect` builds its context from the lab's running cluster
    (None: no such object), `template` renders it, `missing` is the 404's message."""

    inspect: Callable[[Cluster, str, str], dict[str, Any] | None]
    template: str
    missing: str

    async def render(self, request: HttpRequest, lab_id: str, namespace: str, name: str) -> HttpResponse:
        """The panel for one object: a 404 unless this visitor owns the lab and the object
        exists under a valid name. `url` is the panel's own address (a live panel polls it)."""
        live = await _owned_live_lab(request, lab_id)
        if not scheduling.valid_pod_ref(namespace, name):
            raise Http404(self.missing)
        context = self.inspect(live.runner.cluster, namespace, name)
        if context is None:
            raise Http404(self.missing)
        context["url"] = request.path
        return render(request, self.template, context)


_SCHEDULING = _Inspector(scheduling.pod_scheduling, "labs/scheduling.html", "No such pod.")
_HPA = _Inspector(autoscaling.hpa_inspection, "labs/hpa.html", "No such HorizontalPodAutoscaler.")
_ROLLOUT = _Inspector(rollout.rollout_inspection, "labs/rollout.html", "No such Deployment.")
_WORKLOADS = {
    slug: _Inspector(
        functools.partial(workloads.workload_inspection, slug=slug),
        "labs/workload.html",
        f"No such {kind.kind}.",
    )
    for slug, kind in workloads.KINDS.items()
}


@require_GET
async def pod_scheduling(request: HttpRequest, lab_id: str, namespace: str, name: str) -> HttpResponse:
    """What kube-scheduler decided for one pod: its decision table and the explanation."""
    return await _SCHEDULING.render(request, lab_id, namespace, name)


@require_GET
async def hpa_inspector(request: HttpRequest, lab_id: str, namespace: str, name: str) -> HttpResponse:
    """One HorizontalPodAutoscaler's last calculation: the formula with its live numbers."""
    return await _HPA.render(request, lab_id, namespace, name)


@require_GET
async def rollout_inspector(request: HttpRequest, lab_id: str, namespace: str, name: str) -> HttpResponse:
    """One Deployment's rollout: the surge/unavailable arithmetic with its live numbers."""
    return await _ROLLOUT.render(request, lab_id, namespace, name)


@require_GET
async def workload_inspector(
    request: HttpRequest, lab_id: str, kind: str, namespace: str, name: str
) -> HttpResponse:
    """One DaemonSet, StatefulSet, Job or CronJob: its status numbers and why the controllers acted."""
    inspector = _WORKLOADS.get(kind)
    if inspector is None:
        await _owned_lab(request, lab_id)  # a stranger learns nothing, not even the kinds
        raise Http404("No such kind of workload.")
    return await inspector.render(request, lab_id, namespace, name)


@require_GET
async def node_proxy_rules(request: HttpRequest, lab_id: str, node: str) -> HttpResponse:
    """One node's kube-proxy rules (`iptables-save -t nat`), ``?service=<ns>/<name>``'s chains
    marked, and stale lines marked while its kube-proxy is stopped."""
    live = await _owned_live_lab(request, lab_id)
    service = request.GET.get("service", "")
    namespace, _, name = service.partition("/")
    if name_causes(node) or (service and not scheduling.valid_pod_ref(namespace, name)):
        raise Http404("No such node.")
    context = proxy_rules.rule_table(live.runner.cluster, node, service)
    if context is None:
        raise Http404("No such node.")
    context["url"] = request.get_full_path()
    return render(request, "labs/proxy_rules.html", context)
