"""A lab and its append-only command log.

The engine is deterministic: the same scenario, seed and commands applied at the same virtual
times give the same cluster. So ``Lab`` + its ``LabCommand`` rows are the durable truth and a live
cluster can always be rebuilt by replaying them.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

LAB_ID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
LAB_ID_LENGTH = 10
SPEEDS = (1, 10, 60, 600)


def new_lab_id() -> str:
    """Return a short, unguessable, URL-safe lab id (about 49 bits)."""
    return "".join(secrets.choice(LAB_ID_ALPHABET) for _ in range(LAB_ID_LENGTH))


def new_api_key() -> str:
    """Return a fresh secret for a lab's Kubernetes API URL (``/k8s/<api_key>/``, 256 bits)."""
    return secrets.token_urlsafe(32)


def new_seed() -> int:
    """Return a fresh random seed for a lab's engine."""
    return secrets.randbelow(2**31)


class Lab(models.Model):
    """One learner's simulated cluster."""

    id = models.CharField(primary_key=True, max_length=16, default=new_lab_id, editable=False)
    scenario = models.CharField(max_length=64, default="default")
    seed = models.BigIntegerField(default=new_seed)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="labs",
    )
    owner_session_key = models.CharField(max_length=64, blank=True, default="", db_index=True)
    speed = models.PositiveIntegerField(default=1, choices=[(s, f"{s}x") for s in SPEEDS])
    paused = models.BooleanField(default=False)
    virtual_time = models.FloatField(
        default=0.0, help_text="Last saved virtual time (seconds); replay advances the cluster to it."
    )
    api_key = models.CharField(
        max_length=64,
        unique=True,
        default=new_api_key,
        editable=False,
        help_text="Secret in the lab's Kubernetes API URL (/k8s/<api_key>/): whoever has it drives the lab.",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"lab {self.id} ({self.scenario}, seed {self.seed})"


class LabCommand(models.Model):
    """One engine-affecting command, applied at ``virtual_time``. Rows are never updated."""

    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="commands")
    seq = models.PositiveIntegerField()
    virtual_time = models.FloatField()
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=32)
    args = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lab", "seq"]
        constraints = [models.UniqueConstraint(fields=["lab", "seq"], name="labcommand_unique_seq")]

    def __str__(self) -> str:
        return f"{self.lab_id}#{self.seq} t={self.virtual_time:.3f} {self.action} {self.args}"
