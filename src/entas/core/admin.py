"""The Django admin of entas is a read-only window for administrators.

Every write goes through a service: it checks the input, keeps the version counters, stays within
the user's areas and appends its audit event in the same transaction. The admin's forms would do
none of that (a member's NIK set to ``12345``, a household's address changed without a version bump
or an audit event, a job row deleted), so no model is added, changed or deleted here: administrators
browse, and act on the application's own pages (user accounts at ``/accounts/users/``). Each
registered model's admin is read-only; tests/security/test_admin.py checks every one, including
those of third-party apps.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEvent, Job


class ReadOnlyAdminMixin:
    """No add, change or delete (and so no bulk-delete action); viewing stays."""

    actions: Any = ()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A model admin that only shows."""


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """An inline that only shows."""

    extra = 0


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: nobody, administrators included, edits or deletes the audit trail."""

    list_display = ["at", "actor", "action", "object_type", "object_repr", "client_ip"]
    list_filter = ["action"]
    search_fields = ["object_repr", "object_id", "actor__username"]


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    """Read-only: a job's row is its record (who ran what, when, with what result)."""

    list_display = ["id", "kind", "status", "done", "total", "created_by", "created_at"]
    list_filter = ["status", "kind"]
