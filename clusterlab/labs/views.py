"""Pages: the landing page, opening a lab, and the live lab page."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from clusterlab.engine.manifest_check import check_manifest
from clusterlab.labs.access import aget_owned_lab, owned_labs
from clusterlab.labs.fragments import page_context
from clusterlab.labs.live import get_live_lab
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
