"""Pages: the landing page, opening a lab, and the live lab page."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from clusterlab.engine.manifest_check import check_manifest
from clusterlab.labs import console
from clusterlab.labs.access import aget_owned_lab, owned_labs
from clusterlab.labs.fragments import page_context
from clusterlab.labs.live import LiveLab, get_live_lab
from clusterlab.labs.models import Lab

#: How many of a visitor's labs the landing page lists.
MY_LABS_SHOWN = 10


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """What ClusterLab is, the "Open a lab" form, and the visitor's own labs."""
    labs = owned_labs(request.user, request.session.session_key).order_by("-created")[:MY_LABS_SHOWN]
    return render(request, "home.html", {"labs": list(labs)})


@require_POST
def create_lab(request: HttpRequest) -> HttpResponse:
    """Create a lab owned by the current user, or by this browser's session."""
    if request.user.is_authenticated:
        lab = Lab.objects.create(owner=request.user)
    else:
        # Loading the session drops a key the server never issued; then make a real one.
        request.session["opened_labs"] = True
        if not request.session.session_key:
            request.session.create()
        lab = Lab.objects.create(owner_session_key=request.session.session_key or "")
    return redirect("labs:lab", lab_id=lab.id)


@require_GET
async def lab_page(request: HttpRequest, lab_id: str) -> HttpResponse:
    """The live lab page, rendered from the lab's running cluster."""
    user = await request.auser()
    lab = await aget_owned_lab(lab_id, user, request.session.session_key)
    if lab is None:
        raise Http404("No such lab.")
    live = await get_live_lab(lab)
    context = page_context(live.runner.board())
    context["lab"] = lab
    return render(request, "labs/lab.html", context)


@require_POST
async def check_manifest_view(request: HttpRequest, lab_id: str) -> HttpResponse:
    """The YAML editor's live check: every problem of the manifest, each with its line."""
    user = await request.auser()
    lab = await aget_owned_lab(lab_id, user, request.session.session_key)
    if lab is None:
        raise Http404("No such lab.")
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
    user = await request.auser()
    lab = await aget_owned_lab(lab_id, user, request.session.session_key)
    if lab is None:
        raise Http404("No such lab.")
    live = await get_live_lab(lab)
    live.touch()
    return live


@require_POST
async def kubectl_console(request: HttpRequest, lab_id: str) -> HttpResponse:
    """One console command (or the YAML editor's apply, `apply -f -` with the manifest as stdin)."""
    live = await _owned_live_lab(request, lab_id)
    stdin = request.POST.get("stdin") or request.POST.get("manifest") or ""
    entry = await console.run_command(live, request.POST.get("command", ""), stdin)
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
