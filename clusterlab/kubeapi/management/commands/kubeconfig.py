"""`manage.py kubeconfig <username> [--lab ID] [--server URL]`: print a kubeconfig for a user's lab."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from clusterlab.kubeapi.kubeconfig import kubeconfig_yaml
from clusterlab.labs.models import Lab


class Command(BaseCommand):
    help = (
        "Print a kubeconfig for USERNAME's lab: the one given with --lab, else their most recent "
        "lab, else a new lab made for them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--lab", dest="lab_id", help="the lab's id (it must belong to the user)")
        parser.add_argument(
            "--server",
            default="http://127.0.0.1:8000",
            help="the site's base URL as kubectl will reach it (default http://127.0.0.1:8000)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        try:
            user = user_model.objects.get(**{user_model.USERNAME_FIELD: options["username"]})
        except user_model.DoesNotExist as exc:
            raise CommandError(f"no user named {options['username']!r}") from exc
        if options["lab_id"]:
            lab = Lab.objects.filter(pk=options["lab_id"], owner=user).first()
            if lab is None:
                raise CommandError(f"{options['username']} has no lab {options['lab_id']!r}")
        else:
            lab = Lab.objects.filter(owner=user).order_by("-created").first()
            if lab is None:
                lab = Lab.objects.create(owner=user)
        self.stdout.write(kubeconfig_yaml(lab, options["server"]), ending="")
