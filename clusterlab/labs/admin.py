"""Admin pages for labs and their (read-only) command logs."""

from django.contrib import admin

from clusterlab.labs.models import Lab, LabCommand


class LabCommandInline(admin.TabularInline):
    """A lab's command log: append-only, so shown read-only."""

    model = LabCommand
    extra = 0
    can_delete = False
    fields = ("seq", "virtual_time", "actor", "action", "args", "created")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Lab)
class LabAdmin(admin.ModelAdmin):
    """Labs, newest first."""

    list_display = ("id", "scenario", "seed", "owner", "speed", "paused", "virtual_time", "created")
    list_filter = ("scenario", "paused")
    search_fields = ("id", "owner__username")
    readonly_fields = ("id", "owner_session_key", "created")
    inlines = [LabCommandInline]
