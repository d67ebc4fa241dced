from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from entas.core.admin import ReadOnlyAdmin, ReadOnlyInline

from . import services
from .models import Household, Member


class MemberInline(ReadOnlyInline):
    model = Member
    fields = readonly_fields = ("masked_nik", "name", "sex", "birth_date", "relationship")


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    """Administrators only, read-only (entas.core.admin): changes go through the registry pages, which
    validate, keep the version and write the audit trail. Opening a household here is audited like
    opening its page; NIKs are shown masked (the registry page reveals one on request, audited)."""

    list_display = ["kk_number", "kelurahan", "rt", "rw"]
    list_filter = ["kelurahan__parent"]
    search_fields = ["kk_number"]
    inlines = [MemberInline]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        household = self.get_object(request, object_id)
        if household is not None and self.has_view_permission(request, household):
            services.record_household_view(actor=request.user, household=household)  # type: ignore[arg-type]
        return super().change_view(request, object_id, form_url, extra_context)
