"""Reading and appending a lab's command log, and saving its clock (async, for the runtime)."""

from __future__ import annotations

from channels.db import database_sync_to_async

from clusterlab.labs.models import Lab, LabCommand
from clusterlab.labs.runner import LoggedCommand


@database_sync_to_async
def load_commands(lab_id: str) -> list[LoggedCommand]:
    """The lab's log, in order."""
    return [
        LoggedCommand(c.seq, c.virtual_time, c.actor, c.action, dict(c.args))
        for c in LabCommand.objects.filter(lab_id=lab_id).order_by("seq")
    ]


@database_sync_to_async
def append_command(lab_id: str, entry: LoggedCommand, virtual_time: float) -> None:
    """Append one entry and remember the lab's virtual time."""
    LabCommand.objects.create(
        lab_id=lab_id,
        seq=entry.seq,
        virtual_time=entry.virtual_time,
        actor=entry.actor[:150],
        action=entry.action,
        args=entry.args,
    )
    Lab.objects.filter(pk=lab_id).update(virtual_time=virtual_time)


@database_sync_to_async
def save_clock(lab_id: str, *, virtual_time: float, speed: int, paused: bool) -> None:
    """Save where the lab's clock is, so a rebuilt runner resumes there."""
    Lab.objects.filter(pk=lab_id).update(virtual_time=virtual_time, speed=speed, paused=paused)
