from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from entas.core.admin import ReadOnlyAdminMixin

from .models import Opd, User


@admin.register(User)
class UserAdmin(ReadOnlyAdminMixin, DjangoUserAdmin):
    """Read-only: accounts are created and changed at /accounts/users/, whose services audit every
    change of role, areas and status (the admin's own forms would not)."""

    list_display = ["username", "first_name", "last_name", "role", "organisation", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    fieldsets = (
        (None, {"fields": ("username",)}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("entas role and areas"), {"fields": ("role", "organisation", "opd", "areas")}),
        (_("Status"), {"fields": ("is_active", "is_staff", "is_superuser", "last_login", "date_joined")}),
    )


@admin.register(Opd)
class OpdAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Opd]):
    list_display = ["code", "name"]


# entas grants by role (accounts.roles), not by Django groups and permissions: nothing to administer.
admin.site.unregister(Group)


# The login lockout's records (django-axes) are evidence: shown, never edited or deleted here.
# A locked-out account is released from the shell: `entas axes_reset_username USER`.
class ReadOnlyAccessAttemptAdmin(ReadOnlyAdminMixin, AccessAttemptAdmin):
    pass


class ReadOnlyAccessLogAdmin(ReadOnlyAdminMixin, AccessLogAdmin):
    pass


class ReadOnlyAccessFailureLogAdmin(ReadOnlyAdminMixin, AccessFailureLogAdmin):
    pass


for model, model_admin in (
    (AccessAttempt, ReadOnlyAccessAttemptAdmin),
    (AccessLog, ReadOnlyAccessLogAdmin),
    (AccessFailureLog, ReadOnlyAccessFailureLogAdmin),
):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
