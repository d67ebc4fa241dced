from django.contrib import admin

from entas.core.admin import ReadOnlyAdmin

from .models import Region


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    """Read-only: regions are loaded with ``entas load_regions`` (regions.services), which keeps the
    history of codes and audits the load."""

    list_display = ["code", "name", "level", "bps_code", "postal_code", "valid_from", "valid_to"]
    list_filter = ["level"]
    search_fields = ["code", "name", "bps_code"]
