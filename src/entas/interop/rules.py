"""PURE rules of the DCI social-registry interface: plain JSON in, a decision out (no ORM, no request).

- :func:`check_envelope`: the checks of a message's envelope (header, action, version, sender,
  receiver, counts, encryption flag) in the order the specification lists its errors, giving the
  HTTP status, the DCI error code (``err.*``) and the header status reason (``rjct.*``);
- :func:`parse_search`: one item of a search request (its reference id, timestamp and criteria)
  into a :class:`Search` over named attributes, or the search status reason code saying why not;
- the query languages: ``idtype-value`` (an identifier), ``expression`` (a document query with
  ``$and/$or/$not`` and ``$eq/$ne/$lt/$lte/$gt/$gte/$in``) and ``predicate`` (the DCI list of
  ``expression1 condition expression2``), all read into one tree of :class:`Condition`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

VERSION = "1.0.0"
MAX_BATCH = 50
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
# Without pagination, a search finding more than this many records is refused (rjct.search.too_many_records_found).
MAX_UNPAGED = 1000

OPERATORS = {"eq", "ne", "lt", "le", "gt", "ge", "in"}
_EXPR_OPERATORS = {"$eq": "eq", "$ne": "ne", "$lt": "lt", "$lte": "le", "$gt": "gt", "$gte": "ge", "$in": "in"}

# The attributes a caller may search and sort on, per entity: name -> type (str, int, date).
GROUP_ATTRIBUTES: dict[str, str] = {
    "kk_number": "str",
    "location": "str",
    "rt": "str",
    "rw": "str",
    "desil_national": "int",
    "desil_city": "int",
    "poverty_score": "int",
    "verification_status": "str",
    "group_size": "int",
    "registration_date": "date",
    "last_updated": "date",
}
MEMBER_ATTRIBUTES: dict[str, str] = {
    "nik": "str",
    "kk_number": "str",
    "location": "str",
    "sex": "str",
    "birth_date": "date",
    "marital_status": "str",
    "relationship_head": "str",
    "registration_date": "date",
    "last_updated": "date",
}
# Identifier types accepted by idtype-value: what each names.
ID_TYPES: dict[str, str] = {
    "NIK": "nik",
    "NationalID": "nik",
    "UIN": "nik",
    "KK": "kk_number",
    "FamilyCard": "kk_number",
}


# Callbacks (on-search, txn-on-status, on-subscribe, on-unsubscribe) not answered 2xx are sent again
# after 30 s, 1, 2, 4… 32 minutes (never more than an hour apart), 8 attempts in all (over about an hour).
CALLBACK_ATTEMPTS = 8
CALLBACK_FIRST_DELAY = 30
CALLBACK_MAX_DELAY = 3600


def callback_delivered(outcome: str) -> bool:
    """Whether a callback's outcome (an HTTP status, or ``error: …``) is a delivery (2xx)."""
    return outcome.isdigit() and 200 <= int(outcome) < 300


def callback_retry_after(attempts: int) -> int | None:
    """Seconds to wait after ``attempts`` failed attempts before the next one; None: give up."""
    if attempts >= CALLBACK_ATTEMPTS:
        return None
    return int(min(CALLBACK_FIRST_DELAY * 2 ** (attempts - 1), CALLBACK_MAX_DELAY))


@dataclass(frozen=True)
class EnvelopeProblem:
    """Why a message is not taken: HTTP status, DCI error code, header status reason, message."""

    status: int
    code: str
    reason: str
    message: str


@dataclass(frozen=True)
class Condition:
    """A node of a query: a comparison (attribute, operator, value) or a combination (and/or/not)."""

    op: str
    attribute: str = ""
    value: Any = None
    children: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Search:
    """One search of a batch, read and checked."""

    reference_id: str
    entity: str  # Group | Member
    condition: Condition
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (attribute, descending)
    page_size: int = DEFAULT_PAGE_SIZE
    page_number: int = 1
    paginated: bool = False
    locale: str = ""


class Rejection(Exception):
    """A search item refused with a SearchStatusReasonCode."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO 8601 timestamp with its time zone, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def check_envelope(
    body: Any, *, action: str, receiver_id: str, sender_id: str, batch_key: str = "", decrypted: bool = False
) -> EnvelopeProblem | None:
    """The first problem of a message's envelope, or None. ``sender_id`` is the caller the access
    token names; ``batch_key`` the message's list whose length ``header.total_count`` gives;
    ``decrypted``: the message of an encrypted request was decrypted (else an encrypted one is refused)."""
    if not isinstance(body, dict) or not isinstance(body.get("header"), dict):
        return EnvelopeProblem(400, "err.request.bad", "rjct.action.invalid", "The message has no header.")
    header = body["header"]
    missing = [k for k in ("message_id", "message_ts", "action", "sender_id", "total_count") if k not in header]
    if missing:
        return EnvelopeProblem(400, "err.request.bad", "rjct.action.invalid", f"The header lacks {', '.join(missing)}.")
    if str(header.get("version", VERSION)) != VERSION:
        return EnvelopeProblem(
            400, "err.version.not_supported", "rjct.version.invalid", f"Only version {VERSION} is supported."
        )
    if header["action"] != action:
        return EnvelopeProblem(
            400, "err.request.bad", "rjct.action.invalid", f"The action of this endpoint is {action!r}."
        )
    if not isinstance(header["message_id"], str) or not header["message_id"] or len(header["message_id"]) > 99:
        return EnvelopeProblem(
            400, "err.request.bad", "rjct.action.invalid", "message_id must be a string of 1 to 99 characters."
        )
    if parse_timestamp(header["message_ts"]) is None:
        return EnvelopeProblem(
            400,
            "err.request.bad",
            "rjct.message_ts.invalid",
            "message_ts must be an ISO 8601 timestamp with a time zone.",
        )
    if header["sender_id"] != sender_id:
        return EnvelopeProblem(
            403,
            "err.sender_id.invalid",
            "rjct.action.invalid",
            "sender_id is not the system the access token was issued to.",
        )
    if header.get("receiver_id") not in (None, "", receiver_id):
        return EnvelopeProblem(
            400, "err.receiver_id.invalid", "rjct.action.invalid", f"receiver_id must be {receiver_id!r}."
        )
    if "message" not in body or not isinstance(body["message"], dict):
        return EnvelopeProblem(400, "err.request.bad", "rjct.action.invalid", "The message is missing.")
    if header.get("is_msg_encrypted") is True and not decrypted:
        return EnvelopeProblem(
            400, "err.encryption.invalid", "rjct.action.not_supported", "The encrypted message cannot be read."
        )
    total = header["total_count"]
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        return EnvelopeProblem(
            400, "err.request.bad", "rjct.total_count.invalid", "total_count must be a whole number."
        )
    if batch_key:
        items = body["message"].get(batch_key)
        count = len(items) if isinstance(items, list) else 1
        if total > MAX_BATCH:
            return EnvelopeProblem(
                400, "err.request.bad", "rjct.total_count.limit_exceeded", f"At most {MAX_BATCH} requests per message."
            )
        if total != count:
            return EnvelopeProblem(
                400,
                "err.request.bad",
                "rjct.total_count.invalid",
                f"total_count is {total} but the message holds {count}.",
            )
    return None


def check_sender_uri(value: Any, allowed_prefix: str) -> bool:
    """An async request's callback URI: absent (the registered one is used), or under the registered base."""
    if value in (None, ""):
        return bool(allowed_prefix)
    return isinstance(value, str) and bool(allowed_prefix) and value.startswith(allowed_prefix.rstrip("/"))


def _coerce(kind: str, value: Any, attribute: str) -> Any:
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise Rejection("rjct.search_criteria.invalid", f"{attribute} takes a number.")
        try:
            return int(value)
        except ValueError:
            raise Rejection("rjct.search_criteria.invalid", f"{attribute} takes a number.") from None
    if kind == "date":
        if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}", value):
            raise Rejection("rjct.search_criteria.invalid", f"{attribute} takes a date (YYYY-MM-DD).")
        return value[:10]
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise Rejection("rjct.search_criteria.invalid", f"{attribute} takes text.")
    return str(value)


def comparison(attributes: dict[str, str], name: Any, operator: str, value: Any) -> Condition:
    """A checked comparison: a known attribute, a known operator, values of the attribute's type."""
    if not isinstance(name, str) or name not in attributes:
        raise Rejection(
            "rjct.search_criteria.invalid", f"Unknown attribute {name!r}; known: {', '.join(sorted(attributes))}."
        )
    if operator not in OPERATORS:
        raise Rejection("rjct.search_criteria.invalid", f"Unknown operator {operator!r}.")
    kind = attributes[name]
    if operator == "in":
        if not isinstance(value, list) or not value or len(value) > 1000:
            raise Rejection("rjct.search_criteria.invalid", f"{name} in takes a list of 1 to 1000 values.")
        return Condition("in", name, tuple(_coerce(kind, v, name) for v in value))
    return Condition(operator, name, _coerce(kind, value, name))


def _expression(node: Any, attributes: dict[str, str], depth: int = 0) -> Condition:
    """A document query: {"$and": [...]}, {"$or": [...]}, {"$not": {...}}, {attr: {"$op": v}} or {attr: v}."""
    if depth > 10:
        raise Rejection("rjct.search_criteria.invalid", "The expression nests too deep.")
    if not isinstance(node, dict) or not node:
        raise Rejection("rjct.search_criteria.invalid", "An expression is an object.")
    parts: list[Condition] = []
    for key, value in node.items():
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                raise Rejection("rjct.search_criteria.invalid", f"{key} takes a list.")
            parts.append(Condition(key[1:], children=tuple(_expression(v, attributes, depth + 1) for v in value)))
        elif key == "$not":
            parts.append(Condition("not", children=(_expression(value, attributes, depth + 1),)))
        elif isinstance(value, dict):
            for op, operand in value.items():
                if op not in _EXPR_OPERATORS:
                    raise Rejection("rjct.search_criteria.invalid", f"Unknown operator {op!r}.")
                parts.append(comparison(attributes, key, _EXPR_OPERATORS[op], operand))
        else:
            parts.append(comparison(attributes, key, "eq", value))
    return parts[0] if len(parts) == 1 else Condition("and", children=tuple(parts))


def _predicate(items: Any, attributes: dict[str, str]) -> Condition:
    """The DCI predicate list: each item ``expression1 [condition expression2]``; the items, in
    ``seq_num`` order, must all hold. ``not`` reads "expression1 and not expression2" (or "not
    expression1" alone)."""
    if not isinstance(items, list) or not items or len(items) > 50:
        raise Rejection("rjct.search_criteria.invalid", "A predicate query is a list of 1 to 50 expressions.")
    parts: list[tuple[float, Condition]] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("expression1"), dict):
            raise Rejection("rjct.search_criteria.invalid", "Each predicate has an expression1.")

        def read(expr: dict[str, Any]) -> Condition:
            return comparison(
                attributes, expr.get("attribute_name"), str(expr.get("operator", "")), expr.get("attribute_value")
            )

        first = read(item["expression1"])
        condition = item.get("condition")
        second = item.get("expression2")
        if condition is None and second is None:
            node = first
        elif condition == "not" and second is None:
            node = Condition("not", children=(first,))
        elif condition in ("and", "or", "not") and isinstance(second, dict):
            other = read(second)
            node = (
                Condition("and", children=(first, Condition("not", children=(other,))))
                if condition == "not"
                else Condition(condition, children=(first, other))
            )
        else:
            raise Rejection(
                "rjct.search_criteria.invalid", "A predicate's condition is and, or or not, with an expression2."
            )
        seq = item.get("seq_num", len(parts))
        if isinstance(seq, bool) or not isinstance(seq, (int, float)):
            raise Rejection("rjct.search_criteria.invalid", "seq_num is a number.")
        parts.append((float(seq), node))
    ordered = [node for _seq, node in sorted(parts, key=lambda p: p[0])]
    return ordered[0] if len(ordered) == 1 else Condition("and", children=tuple(ordered))


def parse_query(query_type: Any, query: Any, entity: str) -> Condition:
    attributes = GROUP_ATTRIBUTES if entity == "Group" else MEMBER_ATTRIBUTES
    if query_type == "idtype-value":
        if not isinstance(query, dict) or query.get("type") not in ID_TYPES:
            raise Rejection("rjct.search_criteria.invalid", f"idtype-value takes a type among {', '.join(ID_TYPES)}.")
        value = query.get("value")
        if (
            not isinstance(value, (str, int))
            or isinstance(value, bool)
            or not str(value).isdigit()
            or len(str(value)) != 16
        ):
            raise Rejection("rjct.search_criteria.invalid", "An NIK or KK number has 16 digits.")
        return Condition("eq", ID_TYPES[query["type"]], str(value))
    if query_type == "expression":
        value = query.get("value") if isinstance(query, dict) else None
        expression = value.get("expression") if isinstance(value, dict) else None
        if not isinstance(expression, dict) or "query" not in expression:
            raise Rejection(
                "rjct.search_criteria.invalid",
                "An expression query is {type, value: {expression: {collection, query}}}.",
            )
        collection = expression.get("collection", entity)
        if collection != entity:
            raise Rejection("rjct.search_criteria.invalid", f"The collection must be the response entity {entity!r}.")
        return _expression(expression["query"], attributes)
    if query_type == "predicate":
        return _predicate(query, attributes)
    raise Rejection("rjct.search_criteria.invalid", "query_type is idtype-value, expression or predicate.")


def _whole(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        return None
    return int(value)


def parse_search(item: Any, seen: set[str]) -> Search:
    """One item of ``search_request``, checked; raises :class:`Rejection` with the reason code."""
    if not isinstance(item, dict):
        raise Rejection("rjct.search_criteria.invalid", "A search request is an object.")
    reference = item.get("reference_id")
    if not isinstance(reference, str) or not reference or len(reference) > 99:
        raise Rejection("rjct.reference_id.invalid", "reference_id must be a string of 1 to 99 characters.")
    if reference in seen:
        raise Rejection("rjct.reference_id.duplicate", f"reference_id {reference!r} appears twice in the message.")
    seen.add(reference)
    if parse_timestamp(item.get("timestamp")) is None:
        raise Rejection("rjct.timestamp.invalid", "timestamp must be an ISO 8601 timestamp with a time zone.")
    criteria = item.get("search_criteria")
    if not isinstance(criteria, dict) or "query_type" not in criteria or "query" not in criteria:
        raise Rejection("rjct.search_criteria.invalid", "search_criteria needs query_type and query.")
    if str(criteria.get("version", VERSION)) != VERSION:
        raise Rejection("rjct.search_criteria.invalid", f"search_criteria version must be {VERSION}.")
    if criteria.get("reg_event_type") not in (None, "REGISTER", "NewHouseHoldMember"):
        raise Rejection("rjct.search_criteria.invalid", "reg_event_type is REGISTER or NewHouseHoldMember.")
    entity = criteria.get("response_entity", "Group")
    if entity not in ("Group", "Member"):
        raise Rejection("rjct.search_criteria.invalid", "response_entity is Group or Member.")
    condition = parse_query(criteria["query_type"], criteria["query"], entity)
    attributes = GROUP_ATTRIBUTES if entity == "Group" else MEMBER_ATTRIBUTES
    sort: list[tuple[str, bool]] = []
    raw_sort = criteria.get("sort", [])
    if not isinstance(raw_sort, list):
        raise Rejection("rjct.sort.invalid", "sort is a list.")
    for entry in raw_sort:
        if (
            not isinstance(entry, dict)
            or entry.get("attribute_name") not in attributes
            or entry.get("sort_order", "asc") not in ("asc", "desc")
        ):
            raise Rejection("rjct.sort.invalid", f"Sort on one of {', '.join(sorted(attributes))}, asc or desc.")
        sort.append((entry["attribute_name"], entry.get("sort_order") == "desc"))
    pagination = criteria.get("pagination")
    page_size, page_number, paginated = DEFAULT_PAGE_SIZE, 1, False
    if pagination is not None:
        if not isinstance(pagination, dict):
            raise Rejection("rjct.pagination.invalid", "pagination is an object.")
        size, number = _whole(pagination.get("page_size")), _whole(pagination.get("page_number", 1))
        if size is None or not 1 <= size <= MAX_PAGE_SIZE or number is None or number < 1:
            raise Rejection("rjct.pagination.invalid", f"page_size is 1 to {MAX_PAGE_SIZE}; page_number counts from 1.")
        page_size, page_number, paginated = size, number, True
    locale = item.get("locale", "")
    if locale and (not isinstance(locale, str) or not re.fullmatch(r"[a-z]{3}", locale)):
        raise Rejection("rjct.search_criteria.invalid", "locale is an ISO 639-3 code (three lower-case letters).")
    return Search(reference, entity, condition, sort, page_size, page_number, paginated, locale or "")
