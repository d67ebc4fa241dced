from django.contrib import admin

from .models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "bps_code", "postal_code", "valid_from", "valid_to"]
    list_filter = ["level"]
    search_fields = ["code", "name", "bps_code"]
    raw_id_fields = ["parent"]
    filter_horizontal = ["predecessors"]
