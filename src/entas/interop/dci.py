"""The DCI social-registry interface: receiving a message (access token, envelope, signature,
idempotency on ``transaction_id``), answering searches, status requests and (un)subscriptions, and
sending the callbacks (on-search, on-status, on-subscribe, on-unsubscribe, notify).

The envelope checks are the pure :mod:`.rules`; the records are :mod:`.mapping`; the reads go
through the one scoping entry point as the caller system's service user, and each search is audited
in that user's name.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch, Q
from django.utils import timezone

from entas.accounts.roles import Capability
from entas.core import audit, jobqueue, ratelimit
from entas.core.services import service
from entas.registry.models import Household, Member

from . import keys, mapping, rules, transport
from .models import CallerSystem, Subscription, Transaction

JWKS_CACHE = timedelta(hours=1)
# Messages a caller system may send (ENTAS_RATE_LIMITS["dci.message"] overrides): a registry answers
# many systems, and one caller's loop must not starve the others.
RATE_ACTION = "dci.message"
RATE_DEFAULT = "120/minute"
CALLBACKS = {
    "search": "on-search",
    "txn-status": "txn-on-status",
    "subscribe": "on-subscribe",
    "unsubscribe": "on-unsubscribe",
}
BATCH_KEYS = {"search": "search_request", "subscribe": "subscribe_request", "unsubscribe": "subscription_codes"}
RECORD_TYPES = {"Group": "Group", "spdci:Group": "Group", "Member": "Member", "spdci:Member": "Member"}


def now_iso() -> str:
    return timezone.now().isoformat(timespec="seconds")


@dataclass
class Failure(Exception):
    """A message refused before it is a transaction: HTTP status, DCI error code, header reason code."""

    status: int
    code: str
    message: str
    reason: str = ""
    retry_after: int = 0


# --- Authentication ------------------------------------------------------------------------


def token_for(*, client_id: str, client_secret: str, scope: str) -> tuple[str, int] | None:
    """An access token for a registered, active caller whose secret matches; None otherwise."""
    caller = CallerSystem.objects.filter(client_id=client_id, active=True).first()
    if caller is None or not check_password(client_secret, caller.client_secret_hash):
        return None
    return keys.issue_token(client_id=caller.client_id, scope=scope or "registry.search")


def caller_for_token(authorization: str) -> CallerSystem:
    """The caller system an ``Authorization: Bearer`` header names (401/403 as :class:`Failure`)."""
    if not authorization.startswith("Bearer "):
        raise Failure(401, "err.request.unauthorized", "An access token (Authorization: Bearer) is required.")
    claims = keys.check_token(authorization[7:].strip())
    if claims is None:
        raise Failure(401, "err.request.unauthorized", "The access token is invalid or expired.")
    caller = CallerSystem.objects.select_related("service_user").filter(client_id=claims["sub"]).first()
    if caller is None or not caller.active or not caller.service_user.is_active:
        raise Failure(403, "err.request.forbidden", "This system may not use the registry.")
    return caller


def caller_keyset(caller: CallerSystem, *, refresh: bool = False) -> dict[str, Any]:
    """The caller's public keys: those stored, else its JWKS URL (cached for an hour)."""
    stale = caller.jwks_fetched_at is None or timezone.now() - caller.jwks_fetched_at > JWKS_CACHE
    if caller.jwks_url and (refresh or stale or not caller.jwks.get("keys")):
        try:
            fetched = transport.fetch_json(caller.jwks_url)
        except (OSError, ValueError):
            fetched = None
        if isinstance(fetched, dict) and isinstance(fetched.get("keys"), list):
            caller.jwks, caller.jwks_fetched_at = fetched, timezone.now()
            CallerSystem.objects.filter(pk=caller.pk).update(jwks=fetched, jwks_fetched_at=caller.jwks_fetched_at)
    return caller.jwks if isinstance(caller.jwks, dict) else {}


def check_signature(caller: CallerSystem, body: dict[str, Any], *, plain_message: Any = None) -> None:
    """The signature covers the header and the message as sent (for an encrypted message, the
    EncryptedMessage; a signature over the decrypted message, ``plain_message``, is accepted too)."""
    signature = body.get("signature")
    if signature in (None, ""):
        if caller.require_signature:
            raise Failure(400, "err.signature.missing", "This system's messages must be signed.")
        return
    messages = [body["message"]] + ([plain_message] if plain_message is not None else [])
    error: keys.SignatureError | None = None
    for refresh in (False, True):  # again with the keys fetched anew: a key rotated since they were cached
        for message in messages:
            try:
                keys.verify(signature, body["header"], message, caller_keyset(caller, refresh=refresh))
                return
            except keys.SignatureError as exc:
                error = exc
        if not caller.jwks_url:
            break
    raise Failure(400, "err.signature.invalid", f"The signature does not verify: {error}.")


def digest(message: Any) -> str:
    return hashlib.sha256(json.dumps(message, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# --- Receiving -----------------------------------------------------------------------------


def receive(*, authorization: str, raw: bytes, action: str, synchronous: bool) -> tuple[Transaction, bool]:
    """Take a message: the caller, the envelope, the signature, the transaction. Returns the
    transaction and whether it is new (False: the same message again, answered as before)."""
    caller = caller_for_token(authorization)
    check_rate(caller)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Failure(400, "err.request.bad", "The body is not JSON.") from None
    encrypted = isinstance(body, dict) and isinstance(body.get("header"), dict)
    encrypted = encrypted and body["header"].get("is_msg_encrypted") is True
    plain = {**body, "message": decrypt_message(caller, body.get("message"))} if encrypted else body
    problem = rules.check_envelope(
        plain,
        action=action,
        receiver_id=settings.ENTAS_DCI_ID,
        sender_id=caller.sender_id,
        batch_key=BATCH_KEYS.get(action, ""),
        decrypted=encrypted,
    )
    if problem is not None:
        raise Failure(problem.status, problem.code, problem.message, problem.reason)
    check_signature(caller, body, plain_message=plain["message"] if encrypted else None)
    header, message = plain["header"], plain["message"]
    transaction_id = message.get("transaction_id")
    if not isinstance(transaction_id, str) or not transaction_id or len(transaction_id) > 99:
        raise Failure(
            400,
            "err.request.bad",
            "message.transaction_id must be a string of 1 to 99 characters.",
            "rjct.action.invalid",
        )
    sender_uri = header.get("sender_uri") or ""
    if not synchronous and not rules.check_sender_uri(sender_uri, caller.callback_url):
        raise Failure(
            400, "err.sender_uri.invalid", "sender_uri must lie under the callback URL registered for this system."
        )
    return _record(
        caller=caller,
        header=header,
        message=message,
        action=action,
        synchronous=synchronous,
        sender_uri=sender_uri,
        encrypted=encrypted,
    )


def check_rate(caller: CallerSystem, *, now: Any = None) -> None:
    """At most ``ENTAS_RATE_LIMITS["dci.message"]`` messages of a caller system in the window (its
    transactions received: every message taken is one), else 429 ``err.request.too_many_requests``."""
    limit = ratelimit.limit_for(RATE_ACTION) or ratelimit.parse(RATE_DEFAULT)
    since = (now or timezone.now()) - timedelta(seconds=limit.seconds)
    if Transaction.objects.filter(caller=caller, received_at__gte=since).count() >= limit.count:
        raise Failure(
            429,
            "err.request.too_many_requests",
            f"At most {limit.count} messages in {limit.seconds} seconds: send this one again later.",
            retry_after=min(limit.seconds, 60),
        )


def decrypt_message(caller: CallerSystem, encrypted: Any) -> Any:
    """The message of an encrypted request (``is_msg_encrypted``): decrypted with our key, provided the
    caller publishes a key to encrypt our answer to (400 ``err.encryption.invalid`` otherwise)."""
    try:
        if keys.encryption_jwk(caller_keyset(caller)) is None:
            raise keys.EncryptionError("publish an encryption key (use: enc) in your JWKS: the answer is encrypted too")
        message = keys.decrypt(encrypted)
    except keys.EncryptionError as exc:
        raise Failure(
            400, "err.encryption.invalid", f"The encrypted message cannot be read: {exc}.", "rjct.action.not_supported"
        ) from exc
    if not isinstance(message, dict):
        raise Failure(
            400, "err.encryption.invalid", "The decrypted message is not an object.", "rjct.action.not_supported"
        )
    return message


def outbound(caller: CallerSystem, header: dict[str, Any], message: dict[str, Any], *, encrypt: bool) -> dict[str, Any]:
    """A message we send a caller: signed, and encrypted to its key first when its request was."""
    if not encrypt:
        return signed(header, message)
    try:
        sealed = keys.encrypt(message, caller_keyset(caller))
    except keys.EncryptionError:
        sealed = keys.encrypt(message, caller_keyset(caller, refresh=True))
    return signed({**header, "is_msg_encrypted": True}, sealed)


def _references(action: str, message: dict[str, Any]) -> list[str]:
    items = message.get(BATCH_KEYS.get(action, ""), [])
    if action == "txn-status":
        items = [message.get("txnstatus_request")]
    return [str(i["reference_id"]) for i in items if isinstance(i, dict) and isinstance(i.get("reference_id"), str)]


def _record(
    *,
    caller: CallerSystem,
    header: dict[str, Any],
    message: dict[str, Any],
    action: str,
    synchronous: bool,
    sender_uri: str,
    encrypted: bool = False,
) -> tuple[Transaction, bool]:
    fingerprint = digest({"action": action, "message": message})
    existing = Transaction.objects.filter(caller=caller, transaction_id=message["transaction_id"]).first()
    if existing is not None:
        if existing.digest != fingerprint:
            raise Failure(
                409, "err.request.bad", "This transaction_id was used for another message.", "rjct.message_id.duplicate"
            )
        return existing, False
    if Transaction.objects.filter(caller=caller, message_id=header["message_id"]).exists():
        raise Failure(409, "err.request.bad", "This message_id was already used.", "rjct.message_id.duplicate")
    try:
        with transaction.atomic():
            txn = Transaction.objects.create(
                caller=caller,
                transaction_id=message["transaction_id"],
                correlation_id=uuid.uuid4().hex,
                message_id=header["message_id"],
                action=action,
                synchronous=synchronous,
                digest=fingerprint,
                reference_ids=_references(action, message),
                request=message,
                sender_uri=sender_uri,
                encrypted=encrypted,
                status=Transaction.Status.RECEIVED,
            )
    except IntegrityError:  # the same message arriving twice at once
        txn = Transaction.objects.get(caller=caller, transaction_id=message["transaction_id"])
        return txn, False
    return txn, True


def ack(txn: Transaction) -> dict[str, Any]:
    """The acknowledgement of an asynchronous message."""
    if txn.ack is None:
        txn.ack = {"message": {"ack_status": "ACK", "timestamp": now_iso(), "correlation_id": txn.correlation_id}}
        Transaction.objects.filter(pk=txn.pk).update(ack=txn.ack)
    return txn.ack


def error_ack(failure: Failure) -> dict[str, Any]:
    return {
        "message": {
            "ack_status": "ERR",
            "timestamp": now_iso(),
            "error": {"code": failure.code, "message": failure.message[:999]},
            "correlation_id": "",
        }
    }


def callback_header(
    action: str, *, receiver: str, status: str, total: int, completed: int, reason: str = "", reason_message: str = ""
) -> dict[str, Any]:
    header: dict[str, Any] = {
        "version": rules.VERSION,
        "message_id": uuid.uuid4().hex,
        "message_ts": now_iso(),
        "action": action,
        "status": status,
        "total_count": total,
        "completed_count": completed,
        "sender_id": settings.ENTAS_DCI_ID,
        "receiver_id": receiver,
        "is_msg_encrypted": False,
    }
    if reason:
        header["status_reason_code"] = reason
    if reason_message:
        header["status_reason_message"] = reason_message[:999]
    return header


def signed(header: dict[str, Any], message: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"header": header}
    if message is not None:
        body["message"] = message
    body["signature"] = keys.sign(header, message)
    return body


def rejected(failure: Failure, action: str, receiver: str) -> dict[str, Any]:
    """A synchronous answer refusing a message: a signed header with status rjct."""
    header = callback_header(
        CALLBACKS[action],
        receiver=receiver,
        status="rjct",
        total=0,
        completed=0,
        reason=failure.reason,
        reason_message=f"{failure.code}: {failure.message}",
    )
    return signed(header, None)


# --- Search --------------------------------------------------------------------------------


def _household_query(user: Any) -> Any:
    current = Member.objects.filter(exited_on__isnull=True, merged_into__isnull=True).order_by(
        "relationship", "birth_date", "pk"
    )
    return (
        Household.objects.restrict(user, "view")
        .select_related("kelurahan")
        .prefetch_related(Prefetch("members", queryset=current, to_attr="current_members"))
    )


def run_search(search: rules.Search, caller: CallerSystem) -> tuple[list[dict[str, Any]], int, list[int]]:
    """The records of one search (a page), the number found, and the households read."""
    user = caller.service_user
    full_nik = user.can(Capability.VIEW_FULL_NIK)
    start = (search.page_number - 1) * search.page_size
    if search.entity == "Group":
        qs = mapping.filter_households(_household_query(user), search.condition, search.sort)
        total = qs.count()
        if not search.paginated and total > rules.MAX_UNPAGED:
            raise rules.Rejection(
                "rjct.search.too_many_records_found", f"{total} records found: ask for them a page at a time."
            )
        page = list(qs[start : start + search.page_size])
        records = [mapping.group_record(h, h.current_members, full_nik=full_nik) for h in page]  # type: ignore[attr-defined]
        return records, total, [h.pk for h in page]
    members = (
        Member.objects.restrict(user, "view").filter(merged_into__isnull=True).select_related("household__kelurahan")
    )
    mqs = mapping.filter_members(members, search.condition, search.sort)
    total = mqs.count()
    if not search.paginated and total > rules.MAX_UNPAGED:
        raise rules.Rejection(
            "rjct.search.too_many_records_found", f"{total} records found: ask for them a page at a time."
        )
    page_members = list(mqs[start : start + search.page_size])
    records = [mapping.member_record(m, full_nik=full_nik, address=mapping._address(m.household)) for m in page_members]
    return records, total, sorted({m.household_id for m in page_members})


@service
def answer_search(txn: Transaction) -> dict[str, Any]:
    """The SearchResponse of a search transaction (each item answered or rejected with its reason),
    stored on the transaction; every item's read is audited as the caller's service user."""
    caller = txn.caller
    seen: set[str] = set()
    responses: list[dict[str, Any]] = []
    for item in txn.request.get("search_request") or []:
        reference = (
            item.get("reference_id") if isinstance(item, dict) and isinstance(item.get("reference_id"), str) else ""
        )
        entry: dict[str, Any] = {"reference_id": reference, "timestamp": now_iso()}
        try:
            search = rules.parse_search(item, seen)
            records, total, households = run_search(search, caller)
        except rules.Rejection as exc:
            entry.update(status="rjct", status_reason_code=exc.reason, status_reason_message=exc.message[:999])
            responses.append(entry)
            continue
        entry.update(
            status="succ",
            data={"version": rules.VERSION, "reg_records": records},
            pagination={"page_size": search.page_size, "page_number": search.page_number, "total_count": total},
        )
        if search.locale:
            entry["locale"] = search.locale
        responses.append(entry)
        audit.record(
            actor=caller.service_user,
            action="dci.search",
            obj=txn,
            after={
                "caller": caller.sender_id,
                "reference_id": reference,
                "entity": search.entity,
                "found": total,
                "returned": len(records),
                "households": households[:200],
            },
        )
    response = {
        "transaction_id": txn.transaction_id,
        "correlation_id": txn.correlation_id,
        "search_response": responses,
    }
    _complete(txn, response, "succ" if any(r["status"] == "succ" for r in responses) or not responses else "rjct")
    return response


def _complete(txn: Transaction, response: dict[str, Any], status: str) -> None:
    txn.response, txn.status, txn.completed_at = response, status, timezone.now()
    Transaction.objects.filter(pk=txn.pk).update(response=response, status=status, completed_at=txn.completed_at)


def search_items(response: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not response:
        return []
    for key in ("search_response", "subscribe_response"):
        if isinstance(response.get(key), list):
            return list(response[key])
    return []


def header_status(txn: Transaction) -> str:
    items = search_items(txn.response)
    if txn.status in (Transaction.Status.RECEIVED, Transaction.Status.PENDING):
        return "pdng"
    if items and all(i.get("status") == "rjct" for i in items):
        return "rjct"
    return "succ" if txn.status == Transaction.Status.SUCCEEDED or items else str(txn.status)


def sync_answer(txn: Transaction) -> dict[str, Any]:
    """The signed answer of a synchronous search or status request (built once; replayed as is)."""
    response = txn.response or {}
    items = search_items(response)
    header = callback_header(
        CALLBACKS[txn.action],
        receiver=txn.caller.sender_id,
        status=header_status(txn),
        total=len(items) or 1,
        completed=sum(1 for i in items if i.get("status") in ("succ", "rjct")) or (1 if response else 0),
    )
    return outbound(txn.caller, header, response, encrypt=txn.encrypted)


# --- Transaction status --------------------------------------------------------------------


def _status_of(found: Transaction) -> dict[str, Any]:
    if found.response is not None:
        return found.response
    items = [{"reference_id": r, "timestamp": now_iso(), "status": "pdng"} for r in found.reference_ids]
    return {"transaction_id": found.transaction_id, "correlation_id": found.correlation_id, "search_response": items}


@service
def answer_status(txn: Transaction) -> tuple[dict[str, Any] | None, str]:
    """The TxnStatusResponse of a status request, or None and why (nothing of this caller found)."""
    request = txn.request.get("txnstatus_request")
    if not isinstance(request, dict) or not {"reference_id", "txn_type", "attribute_type", "attribute_value"} <= set(
        request
    ):
        _complete(txn, {}, "rjct")
        return None, "txnstatus_request needs reference_id, txn_type, attribute_type and attribute_value."
    txn_type = request["txn_type"]
    kinds = {"search": "search", "subscribe": "subscribe", "subscibe": "subscribe", "unsubscribe": "unsubscribe"}
    if txn_type not in kinds:
        _complete(txn, {}, "rjct")
        return None, "txn_type is search, subscribe or unsubscribe."
    mine = Transaction.objects.filter(caller=txn.caller, action=kinds[txn_type]).exclude(pk=txn.pk)
    kind, value = request["attribute_type"], request["attribute_value"]
    found: Transaction | None = None
    only: set[str] | None = None
    if kind == "transaction_id" and isinstance(value, str):
        found = mine.filter(transaction_id=value).first()
    elif kind == "correlation_id" and isinstance(value, str):
        found = mine.filter(correlation_id=value).first()
    elif kind == "reference_id_list" and isinstance(value, list) and value:
        only = {str(v) for v in value}
        for candidate in mine.order_by("-received_at")[:500]:
            if only & set(candidate.reference_ids):
                found = candidate
                break
    elif kind == "subscription_code_list" and isinstance(value, list) and value:
        subscription = (
            Subscription.objects.filter(caller=txn.caller, code__in=[str(v) for v in value])
            .select_related("transaction")
            .first()
        )
        found = subscription.transaction if subscription else None
    else:
        _complete(txn, {}, "rjct")
        return None, "attribute_type is transaction_id, reference_id_list, correlation_id or subscription_code_list."
    if found is None:
        _complete(txn, {}, "rjct")
        return None, "No transaction of this system matches."
    status = dict(_status_of(found))
    if only is not None:
        for key in ("search_response", "subscribe_response"):
            if isinstance(status.get(key), list):
                status[key] = [i for i in status[key] if i.get("reference_id") in only]
    response: dict[str, Any] = {
        "transaction_id": txn.transaction_id,
        "correlation_id": txn.correlation_id,
        "txnstatus_response": {"txn_type": txn_type, "txn_status": status},
    }
    if not found.synchronous:  # an extension: where the answer of an asynchronous request went
        response["txnstatus_response"]["callback"] = callback_info(found)
    if found.action == "search":
        audit.record(
            actor=txn.caller.service_user,
            action="dci.status",
            obj=found,
            after={"caller": txn.caller.sender_id, "transaction_id": found.transaction_id},
        )
    _complete(txn, response, "succ")
    return response, ""


# --- Subscriptions -------------------------------------------------------------------------


def _parse_subscription(item: Any, seen: set[str], caller: CallerSystem) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise rules.Rejection("rjct.notify_details.invalid", "A subscribe request is an object.")
    reference = item.get("reference_id")
    if not isinstance(reference, str) or not reference or len(reference) > 99:
        raise rules.Rejection("rjct.reference_id.invalid", "reference_id must be a string of 1 to 99 characters.")
    if reference in seen:
        raise rules.Rejection("rjct.reference_id.duplicate", f"reference_id {reference!r} appears twice.")
    seen.add(reference)
    if rules.parse_timestamp(item.get("timestamp")) is None:
        raise rules.Rejection("rjct.timestamp.invalid", "timestamp must be an ISO 8601 timestamp with a time zone.")
    criteria = item.get("subscribe_criteria")
    if not isinstance(criteria, dict):
        raise rules.Rejection("rjct.notify_details.invalid", "subscribe_criteria is missing.")
    if criteria.get("reg_event_type") not in ("REGISTER", "NewHouseHoldMember", "UPDATE"):
        raise rules.Rejection("rjct.notify_types.invalid", "reg_event_type is REGISTER, NewHouseHoldMember or UPDATE.")
    entity = RECORD_TYPES.get(str(criteria.get("notify_record_type", "")))
    if entity is None:
        raise rules.Rejection("rjct.notify_types.invalid", "notify_record_type is Group or Member.")
    try:
        rules.parse_query(criteria.get("filter_type", "expression"), criteria.get("filter"), entity)
    except rules.Rejection as exc:
        raise rules.Rejection("rjct.notify_details.invalid", exc.message) from None
    clean = {
        k: criteria[k]
        for k in ("reg_event_type", "frequency", "filter_type", "filter", "notify_record_type", "reg_type")
        if k in criteria
    }
    clean.setdefault("filter_type", "expression")
    if Subscription.objects.filter(caller=caller, status=Subscription.Status.SUBSCRIBED, criteria=clean).exists():
        raise rules.Rejection("rjct.event.already_subscribed", "This system already has this subscription.")
    return clean


@service
def answer_subscribe(txn: Transaction) -> dict[str, Any]:
    """Record the subscriptions of a subscribe message; the SubscribeResponse."""
    seen: set[str] = set()
    responses = []
    for item in txn.request.get("subscribe_request") or []:
        reference = item.get("reference_id", "") if isinstance(item, dict) else ""
        entry: dict[str, Any] = {"reference_id": str(reference), "timestamp": now_iso()}
        try:
            criteria = _parse_subscription(item, seen, txn.caller)
        except rules.Rejection as exc:
            entry.update(status="rjct", status_reason_code=exc.reason, status_reason_message=exc.message[:999])
            responses.append(entry)
            continue
        subscription = Subscription.objects.create(
            caller=txn.caller, code=uuid.uuid4().hex, transaction=txn, reference_id=str(reference), criteria=criteria
        )
        audit.record(
            actor=txn.caller.service_user,
            action="dci.subscribe",
            obj=subscription,
            after={"caller": txn.caller.sender_id, **criteria},
        )
        entry.update(status="succ", subscriptions=[subscription_info(subscription)])
        responses.append(entry)
    response = {
        "transaction_id": txn.transaction_id,
        "correlation_id": txn.correlation_id,
        "subscribe_response": responses,
    }
    _complete(txn, response, "succ" if any(r["status"] == "succ" for r in responses) else "rjct")
    return response


def subscription_info(subscription: Subscription) -> dict[str, Any]:
    """A SubscriptionInfo: the registry core names the code both ``code`` (its properties) and
    ``subscription_code`` (its required list), and the criteria both flat and as ``subscribe_criteria``:
    both are given."""
    return {
        "version": rules.VERSION,
        "code": subscription.code,
        "subscription_code": subscription.code,
        "status": subscription.status,
        "timestamp": subscription.created_at.isoformat(timespec="seconds"),
        **subscription.criteria,
        "subscribe_criteria": subscription.criteria,
    }


@service
def answer_unsubscribe(txn: Transaction) -> dict[str, Any]:
    """End the caller's subscriptions named in an unsubscribe message; the UnSubscribeResponse."""
    codes = txn.request.get("subscription_codes")
    stamp = txn.request.get("timestamp", txn.request.get("timesstamp"))
    response: dict[str, Any] = {
        "transaction_id": txn.transaction_id,
        "correlation_id": txn.correlation_id,
        "timestamp": now_iso(),
    }
    if rules.parse_timestamp(stamp) is None:
        response.update(
            status="rjct",
            status_reason_code="rjct.timestamp.invalid",
            status_reason_message="timestamp must be an ISO 8601 timestamp with a time zone.",
        )
    elif not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        response.update(
            status="rjct",
            status_reason_code="rjct.subscription_code.invalid",
            status_reason_message="subscription_codes is a list of codes.",
        )
    else:
        found = {s.code: s for s in Subscription.objects.filter(code__in=codes)}
        statuses, problem = [], ""
        for code in codes:
            subscription = found.get(code)
            if subscription is None:
                problem = problem or "rjct.subscription_code.invalid"
            elif subscription.caller_id != txn.caller_id:
                problem = problem or "rjct.requester.invalid"
            elif subscription.status == Subscription.Status.UNSUBSCRIBED:
                problem = problem or "rjct.event.already_unsubscribed"
                statuses.append({"code": code, "status": "unsubscribe"})
            else:
                subscription.status = Subscription.Status.UNSUBSCRIBED
                subscription.save(update_fields=["status"])
                audit.record(
                    actor=txn.caller.service_user,
                    action="dci.unsubscribe",
                    obj=subscription,
                    after={"caller": txn.caller.sender_id},
                )
                statuses.append({"code": code, "status": "unsubscribe"})
        response.update(status="rjct" if problem and not statuses else "succ", subscription_status=statuses)
        if problem:
            response["status_reason_code"] = problem
    _complete(txn, response, response["status"])
    return response


# --- Callbacks and notifications -----------------------------------------------------------


def callback_url(txn: Transaction) -> str:
    base = txn.sender_uri or txn.caller.callback_url.rstrip("/") + "/registry/" + CALLBACKS[txn.action]
    return base if txn.sender_uri else base.replace("/registry/txn-on-status", "/registry/txn/on-status")


def deliver(txn: Transaction, *, now: Any = None) -> str:
    """Send the answer of an asynchronous transaction to its callback once, and record how it went:
    delivered on a 2xx answer, else the next attempt after the back-off (:func:`rules.callback_retry_after`),
    or given up after the last. Two deliverers never send the same attempt (the attempt is claimed)."""
    now = now or timezone.now()
    claimed = Transaction.objects.filter(
        pk=txn.pk, callback_attempts=txn.callback_attempts, callback_delivered_at__isnull=True
    ).update(callback_attempts=F("callback_attempts") + 1, callback_next_at=None)
    if not claimed:
        txn.refresh_from_db()
        return txn.callback_status
    txn.callback_attempts += 1
    items = search_items(txn.response)
    status = header_status(txn) if txn.action != "unsubscribe" else str((txn.response or {}).get("status", "succ"))
    header = callback_header(
        CALLBACKS[txn.action],
        receiver=txn.caller.sender_id,
        status=status,
        total=len(items) or 1,
        completed=len(items) or 1,
    )
    try:
        outgoing = outbound(txn.caller, header, txn.response or {}, encrypt=txn.encrypted)
    except keys.EncryptionError as exc:  # the caller's encryption key is gone: tried again later
        outcome = f"error: {exc}"[:200]
    else:
        outcome = transport.post_json(callback_url(txn), outgoing)[:200]
    fields: dict[str, Any] = {"callback_status": outcome}
    if rules.callback_delivered(outcome):
        fields["callback_delivered_at"] = now
    else:
        delay = rules.callback_retry_after(txn.callback_attempts)
        if delay is not None:
            fields["callback_next_at"] = now + timedelta(seconds=delay)
    Transaction.objects.filter(pk=txn.pk).update(**fields)
    for name, value in fields.items():
        setattr(txn, name, value)
    return outcome


def due_callbacks(now: Any = None) -> Any:
    """The asynchronous transactions whose callback is to be sent again now."""
    return Transaction.objects.filter(
        callback_next_at__lte=now or timezone.now(), callback_delivered_at__isnull=True, caller__active=True
    ).select_related("caller__service_user")


def deliver_due(*, now: Any = None, limit: int = 200) -> dict[str, int]:
    """Send the callbacks whose time has come again (oldest first); counts delivered, to retry, given up."""
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    for txn in list(due_callbacks(now).order_by("callback_next_at", "pk")[:limit]):
        deliver(txn, now=now)
        if txn.callback_delivered_at is not None:
            counts["delivered"] += 1
        elif txn.callback_next_at is not None:
            counts["retry"] += 1
        else:
            counts["failed"] += 1
    return counts


def callback_info(txn: Transaction) -> dict[str, Any]:
    """How the callback of an asynchronous transaction went (shown in a status answer)."""
    if txn.synchronous:
        return {}
    if txn.callback_delivered_at is not None:
        state = "delivered"
    elif txn.callback_next_at is not None or txn.callback_attempts == 0:
        state = "pending"
    else:
        state = "failed"
    info: dict[str, Any] = {"status": state, "attempts": txn.callback_attempts, "last_outcome": txn.callback_status}
    if txn.callback_next_at is not None:
        info["next_attempt"] = txn.callback_next_at.isoformat(timespec="seconds")
    if txn.callback_delivered_at is not None:
        info["delivered"] = txn.callback_delivered_at.isoformat(timespec="seconds")
    return info


def process(txn_pk: int) -> Transaction:
    """Answer an asynchronous transaction and send the answer (the body of the job)."""
    txn = Transaction.objects.select_related("caller__service_user").get(pk=txn_pk)
    if txn.response is None:
        Transaction.objects.filter(pk=txn.pk).update(status=Transaction.Status.PENDING)
        if txn.action == "search":
            answer_search(txn)
        elif txn.action == "txn-status":
            response, why = answer_status(txn)
            if response is None:
                txn.response = {
                    "transaction_id": txn.transaction_id,
                    "correlation_id": txn.correlation_id,
                    "status_reason_message": why,
                }
        elif txn.action == "subscribe":
            answer_subscribe(txn)
        else:
            answer_unsubscribe(txn)
    deliver(txn)
    return txn


def submit_async(txn: Transaction) -> None:
    jobqueue.submit(kind="interop.dci_process", params={"transaction": txn.pk}, actor=txn.caller.service_user)


def _changed(subscription: Subscription, since: Any, until: Any) -> Q:
    event = subscription.criteria.get("reg_event_type")
    if event == "REGISTER":
        return Q(created_at__gt=since, created_at__lte=until)
    if event == "NewHouseHoldMember":
        return Q(members__created_at__gt=since, members__created_at__lte=until)
    return Q(updated_at__gt=since, updated_at__lte=until)


def notify(subscription: Subscription, *, limit: int = 500) -> int:
    """Send a subscriber the households (or members) of its filter that changed since the last
    notification; returns how many records were sent."""
    caller = subscription.caller
    until = timezone.now()
    criteria = subscription.criteria
    entity = RECORD_TYPES.get(str(criteria.get("notify_record_type")), "Group")
    condition = rules.parse_query(criteria.get("filter_type", "expression"), criteria.get("filter"), entity)
    user = caller.service_user
    full_nik = user.can(Capability.VIEW_FULL_NIK)
    changed = _changed(subscription, subscription.notified_until, until)
    changed_households = Household.objects.filter(changed).values("pk")
    households: list[Household] = []
    if entity == "Group":
        base = _household_query(user).filter(pk__in=changed_households)
        households = list(mapping.filter_households(base, condition, [])[:limit])
    records: list[dict[str, Any]]
    if entity == "Group":
        records = [mapping.group_record(h, h.current_members, full_nik=full_nik) for h in households]  # type: ignore[attr-defined]
        read = [h.pk for h in households]
    else:
        members_changed = Q(household__in=changed_households)
        members = list(
            mapping.filter_members(
                Member.objects.restrict(user, "view")
                .filter(members_changed, merged_into__isnull=True)
                .select_related("household__kelurahan"),
                condition,
                [],
            )[:limit]
        )
        records = [mapping.member_record(m, full_nik=full_nik, address=mapping._address(m.household)) for m in members]
        read = sorted({m.household_id for m in members})
    if records:
        message = {
            "transaction_id": uuid.uuid4().hex,
            "notify_event": [
                {
                    "reference_id": subscription.reference_id,
                    "timestamp": now_iso(),
                    "data": {
                        "version": rules.VERSION,
                        "reg_type": "ns:entas:RegistryType:Social",
                        "reg_event_type": criteria.get("reg_event_type"),
                        "reg_record_type": f"spdci:{entity}",
                        "reg_records": records,
                    },
                }
            ],
        }
        header = callback_header("notify", receiver=caller.sender_id, status="succ", total=1, completed=1)
        transport.post_json(caller.callback_url.rstrip("/") + "/registry/notify", signed(header, message))
        audit.record(
            actor=user,
            action="dci.notify",
            obj=subscription,
            after={"caller": caller.sender_id, "returned": len(records), "households": read[:200]},
        )
    Subscription.objects.filter(pk=subscription.pk).update(
        notified_until=until, notifications=subscription.notifications + (1 if records else 0)
    )
    return len(records)
