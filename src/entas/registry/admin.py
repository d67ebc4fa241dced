from django.contrib import admin

from .models import Household, Member


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0
    fields = ["nik", "name", "sex", "birth_date", "relationship"]


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    """Administrators only; operators work through the registry pages, which are area-scoped."""

    list_display = ["kk_number", "kelurahan", "rt", "rw"]
    list_filter = ["kelurahan__parent"]
    search_fields = ["kk_number"]
    raw_id_fields = ["kelurahan"]
    inlines = [MemberInline]
