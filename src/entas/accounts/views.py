"""User administration: list accounts, open one, change its role and areas, stop or restore it, give
it a new password. Administrators only (Capability.MANAGE_USERS); every change is an audited service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import PasswordChangeView
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from entas.core.decorators import AuthenticatedRequest, require
from entas.core.errors import Refused, show_on_form

from . import oauth, services, tokens
from .forms import NewUserForm, OAuthClientForm, PasswordForm, ServiceAccountForm, TokenForm, UserForm
from .models import User
from .roles import Capability


def _user_or_404(pk: int) -> User:
    user = User.objects.filter(pk=pk).first()
    if user is None:
        raise Http404
    return user


def _show(form: forms.BaseForm, exc: Refused) -> None:
    """A service's refusal on the form: next to the field it names, else at the top."""
    placed = [i for i in exc.issues if i.field in form.fields and i.message]
    for issue in placed:
        form.add_error(issue.field, issue.message)
    if not placed:
        form.add_error(None, str(exc))


def _details(form: forms.Form) -> dict[str, Any]:
    return {k: form.cleaned_data[k] for k in ("organisation", "first_name", "last_name", "email", "opd")}


@require(Capability.MANAGE_USERS)
def user_list(request: AuthenticatedRequest) -> HttpResponse:
    users = User.objects.order_by("username").prefetch_related("areas")
    return render(request, "accounts/user_list.html", {"users": users})


@require(Capability.MANAGE_USERS)
def user_new(request: AuthenticatedRequest) -> HttpResponse:
    form = NewUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.create_user(
                actor=request.user,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                role=form.cleaned_data["role"],
                areas=form.cleaned_data["areas"],
                **_details(form),
            )
        except Refused as exc:
            _show(form, exc)
        else:
            messages.success(request, _("The account %(name)s was created.") % {"name": user.username})
            return redirect("accounts:user_edit", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form, "account": None})


@require(Capability.MANAGE_USERS)
def user_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    account = _user_or_404(pk)
    initial = {**services.snapshot(account), "areas": list(account.areas.all()), "opd": account.opd_id}
    form = UserForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_user(
                actor=request.user,
                user=account,
                role=form.cleaned_data["role"],
                areas=form.cleaned_data["areas"],
                **_details(form),
            )
        except Refused as exc:
            _show(form, exc)
        else:
            messages.success(request, _("The account %(name)s was saved.") % {"name": account.username})
            return redirect("accounts:user_edit", pk=pk)
    return render(request, "accounts/user_form.html", {"form": form, "account": account})


@require(Capability.MANAGE_USERS)
@require_POST
def user_active(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    account = _user_or_404(pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_active(actor=request.user, user=account, active=active)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            (_("The account %(name)s can log in again.") if active else _("The account %(name)s was deactivated."))
            % {"name": account.username},
        )
    return redirect("accounts:user_edit", pk=pk)


@require(Capability.MANAGE_USERS)
def user_password(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    account = _user_or_404(pk)
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reset_password(actor=request.user, user=account, password=form.cleaned_data["password1"])
        except Refused as exc:
            _show(form, exc)
        else:
            messages.success(request, _("The account %(name)s has a new password.") % {"name": account.username})
            return redirect("accounts:user_edit", pk=pk)
    return render(request, "accounts/user_password.html", {"form": form, "account": account})


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


# -- API tokens --------------------------------------------------------------------------------------


def _token_page(request: AuthenticatedRequest, form: TokenForm, account_form: Any, new: Any = None) -> HttpResponse:
    listed = tokens.tokens_for(request.user).order_by("-created_at", "-pk")
    rows = [(t, tokens.status(t)) for t in listed]
    return render(
        request,
        "accounts/token_list.html",
        {"form": form, "account_form": account_form, "rows": rows, "new": new},
    )


def _owners(actor: User) -> Any:
    return tokens.service_accounts() if actor.can(Capability.MANAGE_USERS) else User.objects.none()


@login_required
def token_list(request: AuthenticatedRequest) -> HttpResponse:
    """Everybody's own API tokens (an administrator's also the service accounts'): create one (shown
    once, on the answer to the POST) or revoke one."""
    actor = request.user
    owners = list(_owners(actor))
    form = TokenForm(request.POST or None, actor=actor, owners=owners)
    account_form = ServiceAccountForm() if actor.can(Capability.MANAGE_USERS) else None
    new = None
    if request.method == "POST" and form.is_valid():
        owner_pk = form.cleaned_data.get("owner") or actor.pk
        owner = actor if owner_pk == actor.pk else next((u for u in owners if u.pk == owner_pk), None)
        if owner is None:
            form.add_error("owner", _("Choose an account from the list."))
        else:
            try:
                new = tokens.create_token(
                    actor=actor,
                    user=owner,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    expires_days=form.cleaned_data["expires_days"],
                )
            except Refused as exc:
                _show(form, exc)
            else:
                form = TokenForm(actor=actor, owners=owners)
    response = _token_page(request, form, account_form, new)
    response["Cache-Control"] = "no-store"  # the page may hold a secret shown once
    return response


@login_required
@require_POST
def token_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    token = tokens.tokens_for(request.user).filter(pk=pk).first()
    if token is None:
        raise Http404
    tokens.revoke_token(actor=request.user, token=token)
    messages.success(request, _("The token %(prefix)s was revoked.") % {"prefix": token.prefix})
    return redirect("accounts:token_list")


@require(Capability.MANAGE_USERS)
@require_POST
def service_account_new(request: AuthenticatedRequest) -> HttpResponse:
    account_form = ServiceAccountForm(request.POST)
    if account_form.is_valid():
        try:
            user = tokens.create_service_account(
                actor=request.user,
                username=account_form.cleaned_data["username"],
                role=account_form.cleaned_data["role"],
                areas=account_form.cleaned_data["areas"],
                organisation=account_form.cleaned_data["organisation"],
            )
        except Refused as exc:
            _show(account_form, exc)
        else:
            messages.success(request, _("The service account %(name)s was created.") % {"name": user.username})
            return redirect("accounts:token_list")
    form = TokenForm(actor=request.user, owners=list(_owners(request.user)))
    return _token_page(request, form, account_form)


# -- OAuth 2.0: the token endpoint and the clients -------------------------------------------------


@csrf_exempt
@require_POST
def oauth_token(request: HttpRequest) -> HttpResponse:
    """``POST /api/v1/oauth/token`` (RFC 6749 §4.4): form-encoded ``grant_type=client_credentials``
    and optional ``scope``, the client authenticated by its secret or a signed assertion; answers the
    RFC's JSON (an access token, or an error of §5.2). No session, no CSRF: it is for machines."""
    form = {k: request.POST.get(k, "") for k in request.POST}
    try:
        body: dict[str, Any] = oauth.grant(
            form,
            authorization=request.META.get("HTTP_AUTHORIZATION", ""),
            token_url=request.build_absolute_uri(request.path),
        )
        status = 200
    except oauth.OAuthError as exc:
        body, status = exc.as_dict(), exc.status
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="entas", error="invalid_client"'
    return response


def _client_page(request: AuthenticatedRequest, form: OAuthClientForm, new: Any = None) -> HttpResponse:
    rows = [(c, oauth.status(c)) for c in oauth.clients_for(request.user).order_by("-created_at", "-pk")]
    response = render(request, "accounts/oauth_clients.html", {"form": form, "rows": rows, "new": new})
    response["Cache-Control"] = "no-store"  # the page may hold a secret shown once
    return response


@require(Capability.MANAGE_USERS)
def oauth_clients(request: AuthenticatedRequest) -> HttpResponse:
    """The OAuth clients of service accounts: create one (its secret shown once), revoke one."""
    owners = list(tokens.service_accounts())
    form = OAuthClientForm(request.POST or None, owners=owners)
    new = None
    if request.method == "POST" and form.is_valid():
        owner = next((u for u in owners if u.pk == form.cleaned_data["owner"]), None)
        if owner is None:
            form.add_error("owner", _("Choose an account from the list."))
        else:
            try:
                new = oauth.create_client(
                    actor=request.user,
                    user=owner,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    expires_days=form.cleaned_data["expires_days"],
                    jwks=form.cleaned_data["jwks"],
                    with_secret=form.cleaned_data["with_secret"],
                )
            except Refused as exc:
                show_on_form(form, exc)
            else:
                form = OAuthClientForm(owners=owners)
    return _client_page(request, form, new)


@require(Capability.MANAGE_USERS)
@require_POST
def oauth_client_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    client = oauth.clients_for(request.user).filter(pk=pk).first()
    if client is None:
        raise Http404
    oauth.revoke_client(actor=request.user, client=client)
    messages.success(request, _("The OAuth client %(id)s was revoked.") % {"id": client.client_id})
    return redirect("accounts:oauth_clients")
