"""The DCI endpoints: thin over :mod:`.dci`. Their answers follow the specification's shapes:

- 401/403 (no or a bad access token, a caller not allowed, a sender_id not the token's) and 429 (too
  many messages, with ``Retry-After``; asynchronous endpoints answer it as an ``ERR`` ack):
  ``{"errors": [{"code": "err.request.unauthorized", "message": …}]}``;
- asynchronous endpoints: the acknowledgement ``{"message": {"ack_status": "ACK"|"ERR", "timestamp",
  "correlation_id", "error": {"code", "message"}}}`` (200 when taken, 400/409 with ERR when not);
- synchronous endpoints: a signed ``{"signature", "header", "message"}`` whose header status is
  ``succ`` or ``rjct`` with the reason code.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import dci, keys
from .dci import Failure


def _errors(failure: Failure) -> JsonResponse:
    response = JsonResponse({"errors": [{"code": failure.code, "message": failure.message}]}, status=failure.status)
    if failure.retry_after:
        response["Retry-After"] = str(failure.retry_after)
    return response


def _json_only(request: HttpRequest) -> None:
    if not request.content_type or request.content_type != "application/json":
        raise Failure(400, "err.request.bad", "Send the message as application/json.", "rjct.action.invalid")


def _asynchronous(action: str) -> Callable[[HttpRequest], HttpResponse]:
    @csrf_exempt
    @require_POST
    @never_cache
    def view(request: HttpRequest) -> HttpResponse:
        try:
            _json_only(request)
            txn, new = dci.receive(
                authorization=request.headers.get("Authorization", ""),
                raw=request.body,
                action=action,
                synchronous=False,
            )
        except Failure as failure:
            if failure.status in (401, 403):
                return _errors(failure)
            response = JsonResponse(dci.error_ack(failure), status=failure.status)
            if failure.retry_after:
                response["Retry-After"] = str(failure.retry_after)
            return response
        body = dci.ack(txn)
        if new:
            with transaction.atomic():
                dci.submit_async(txn)
        return JsonResponse(body, status=200)

    return view


def _synchronous(action: str, answer: Callable[[Any], Any]) -> Callable[[HttpRequest], HttpResponse]:
    @csrf_exempt
    @require_POST
    @never_cache
    def view(request: HttpRequest) -> HttpResponse:
        receiver = ""
        try:
            _json_only(request)
            txn, new = dci.receive(
                authorization=request.headers.get("Authorization", ""),
                raw=request.body,
                action=action,
                synchronous=True,
            )
        except Failure as failure:
            if failure.status in (401, 403, 429) or failure.code.startswith("err.signature"):
                return _errors(Failure(401, failure.code, failure.message) if failure.status == 400 else failure)
            return JsonResponse(dci.rejected(failure, action, receiver), status=failure.status)
        if new or txn.response is None:
            result = answer(txn)
            if isinstance(result, tuple) and result[0] is None:
                header = dci.callback_header(
                    dci.CALLBACKS[action],
                    receiver=txn.caller.sender_id,
                    status="rjct",
                    total=1,
                    completed=1,
                    reason_message=result[1],
                )
                return JsonResponse(dci.signed(header, None), status=404)
            txn.refresh_from_db()
        if action == "txn-status" and not txn.response:
            header = dci.callback_header(
                dci.CALLBACKS[action],
                receiver=txn.caller.sender_id,
                status="rjct",
                total=1,
                completed=1,
                reason_message="No transaction of this system matches.",
            )
            return JsonResponse(dci.signed(header, None), status=404)
        return JsonResponse(dci.sync_answer(txn), status=200)

    return view


search = _asynchronous("search")
txn_status = _asynchronous("txn-status")
subscribe = _asynchronous("subscribe")
unsubscribe = _asynchronous("unsubscribe")
sync_search = _synchronous("search", dci.answer_search)
sync_txn_status = _synchronous("txn-status", dci.answer_status)


@require_GET
def jwks(request: HttpRequest) -> HttpResponse:
    """Our public keys (RFC 7517), for checking what we sign."""
    response = JsonResponse(keys.published_jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response


def _oauth_error(status: int, error: str, description: str) -> JsonResponse:
    code = "err.request.unauthorized" if status == 401 else "err.request.bad"
    return JsonResponse(
        {"error": error, "error_description": description, "errors": [{"code": code, "message": description}]},
        status=status,
    )


@csrf_exempt
@require_POST
@never_cache
def token(request: HttpRequest) -> HttpResponse:
    """OAuth2 client credentials (RFC 6749 §4.4): client_id and client_secret in the form or in
    HTTP Basic authentication; answers a bearer JWT."""
    client_id = request.POST.get("client_id", "")
    client_secret = request.POST.get("client_secret", "")
    basic = request.headers.get("Authorization", "")
    if basic.startswith("Basic "):
        try:
            decoded = base64.b64decode(basic[6:], validate=True).decode()
            user, _sep, secret = decoded.partition(":")
            client_id, client_secret = unquote(user), unquote(secret)
        except (binascii.Error, UnicodeDecodeError):
            return _oauth_error(401, "invalid_client", "The Basic authorization header cannot be read.")
    if request.POST.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials.")
    if not client_id or not client_secret:
        return _oauth_error(400, "invalid_request", "client_id and client_secret are required.")
    issued = dci.token_for(client_id=client_id, client_secret=client_secret, scope=request.POST.get("scope", ""))
    if issued is None:
        return _oauth_error(401, "invalid_client", "Unknown client or wrong secret.")
    access_token, lifetime = issued
    response = JsonResponse({"access_token": access_token, "token_type": "bearer", "expires_in": str(lifetime)})
    response["Pragma"] = "no-cache"
    return response
