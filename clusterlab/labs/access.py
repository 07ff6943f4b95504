"""Who may see and drive a lab: whoever created it (their user account, or their session).

Everyone else is told the lab does not exist (404, or a refused websocket), so lab ids leak
nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from clusterlab.labs.models import Lab


def is_owner(lab: Lab, user: Any, session_key: str | None) -> bool:
    """True when ``user`` (if authenticated) or the session ``session_key`` created ``lab``."""
    if lab.owner_id is not None:
        return bool(getattr(user, "is_authenticated", False)) and user.pk == lab.owner_id
    return bool(session_key) and session_key == lab.owner_session_key


def owned_labs(user: Any, session_key: str | None) -> QuerySet[Lab]:
    """The labs ``user`` (if authenticated) or the session ``session_key`` created, newest first."""
    if getattr(user, "is_authenticated", False):
        return Lab.objects.filter(owner=user)
    if not session_key:
        return Lab.objects.none()
    return Lab.objects.filter(owner__isnull=True, owner_session_key=session_key)


async def aget_owned_lab(lab_id: str, user: Any, session_key: str | None) -> Lab | None:
    """The lab ``lab_id`` if it exists and belongs to ``user``/``session_key``, else ``None``."""
    lab = await Lab.objects.filter(pk=lab_id).afirst()
    if lab is None or not is_owner(lab, user, session_key):
        return None
    return lab


def actor_name(user: Any) -> str:
    """How the command log names whoever sent a command."""
    if getattr(user, "is_authenticated", False):
        return f"user:{user.get_username()}"
    return "learner"
