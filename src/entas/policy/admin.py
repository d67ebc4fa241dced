"""Read-only registrations: the admin changes nothing (writes go through the services, audited)."""

from __future__ import annotations

from django.contrib import admin

from entas.core.admin import ReadOnlyAdmin

from .models import Activity, Adjustment, BudgetMonth, Plan, ProgrammeRecord, Strategy


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin):
    list_display = ("code", "version", "kind", "status", "adopted_on", "legal_basis")


@admin.register(Strategy)
class StrategyAdmin(ReadOnlyAdmin):
    list_display = ("plan", "code", "name", "national_strategy")


@admin.register(ProgrammeRecord)
class ProgrammeRecordAdmin(ReadOnlyAdmin):
    list_display = ("code", "programme", "strategy", "lead_opd", "status")


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "record", "opd")


@admin.register(BudgetMonth)
class BudgetMonthAdmin(ReadOnlyAdmin):
    list_display = ("activity", "month", "pagu", "revised", "realised", "physical")


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAdmin):
    list_display = ("record", "field", "state", "effective_on", "proposed_by", "decided_by")
