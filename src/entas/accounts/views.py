from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import PasswordChangeView
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from . import services


class PasswordChange(PasswordChangeView):
    """Every logged-in user changes their own password here (login_required by PasswordChangeView).

    The form checks the old password and the validators; the service writes and audits.
    """

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        user: Any = self.request.user
        services.change_password(actor=user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("Your password was changed. Your other sessions have ended."))
        return redirect(self.get_success_url())
