"""A question a person answers and a script rarely bothers to: a sum of two small numbers, asked in
words, carried in the form as a token signed with Django's signing (SECRET_KEY), valid for an hour.
No external captcha service, nothing to load from elsewhere: it works offline and without JavaScript.
It slows a careless bot; the per-address limits (services.count_visit) stop a careful one."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core import signing
from django.utils.translation import gettext as _

SALT = "entas.portal.challenge"
MAX_AGE = 3600  # seconds

WORDS_ID = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"]


@dataclass(frozen=True)
class Challenge:
    question: str
    token: str


def new() -> Challenge:
    """A fresh question and its signed token (the token holds the answer and a nonce, signed)."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    token = signing.dumps({"s": a + b, "n": secrets.token_hex(4)}, salt=SALT, compress=False)
    question = _("How much is %(a)s plus %(b)s? (write the number)") % {"a": WORDS_ID[a], "b": WORDS_ID[b]}
    return Challenge(question, token)


def check(token: str, answer: str) -> bool:
    """Whether ``answer`` is the sum the signed ``token`` asked for, within the hour."""
    try:
        data = signing.loads(token or "", salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return False
    try:
        return int(str(answer).strip()) == int(data["s"])
    except (ValueError, TypeError, KeyError):
        return False
