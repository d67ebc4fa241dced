"""Messages to citizens about their case: which channel (the e-mail or telephone they left, never for
an anonymous case), what it says (the case's reference and new state — never the tracking code, which
the citizen alone holds), and the pluggable senders.

``ENTAS_PORTAL_NOTIFY_SENDERS`` maps a channel to a sender class (dotted path); the defaults send
e-mail through Django's mail backend (``EMAIL_BACKEND``: SMTP in production, the console in
development) and write SMS to the log (no SMS gateway is configured: a deployment adds its own
sender). Every message is kept as a :class:`~entas.portal.models.Notification`, sent or failed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

log = logging.getLogger("entas.portal.notify")

DEFAULT_SENDERS = {
    "email": "entas.portal.notify.EmailSender",
    "sms": "entas.portal.notify.ConsoleSender",
}


@dataclass(frozen=True)
class Message:
    channel: str
    recipient: str
    subject: str
    body: str


class Sender(Protocol):
    def send(self, message: Message) -> None:
        """Send it, or raise (the failure is recorded on the notification)."""


class EmailSender:
    """E-mail through Django's configured mail backend."""

    def send(self, message: Message) -> None:
        send_mail(message.subject, message.body, None, [message.recipient], fail_silently=False)


class ConsoleSender:
    """Writes the message to the log (development, or a channel without a gateway yet)."""

    def send(self, message: Message) -> None:
        log.info("notify %s to %s: %s", message.channel, message.recipient, message.subject)


def sender_for(channel: str) -> Sender:
    senders = {**DEFAULT_SENDERS, **getattr(settings, "ENTAS_PORTAL_NOTIFY_SENDERS", {})}
    sender: Sender = import_string(senders[channel])()
    return sender


def recipients(case: Any) -> list[tuple[str, str]]:
    """(channel, address) for each way the citizen left to reach them; none for an anonymous case."""
    if case.anonymous or case.spam:
        return []
    out = []
    if case.contact_email:
        out.append(("email", case.contact_email))
    if case.contact_phone:
        out.append(("sms", case.contact_phone))
    return out


def compose(case: Any, event: str, channel: str, recipient: str) -> Message:
    """The message, in Indonesian (the citizen's language on the portal): the reference, the new
    state, and where to read the answer with the code they hold."""
    with translation.override("id"):
        state = case.get_state_display()
        if event == "answer":
            subject = _("Your complaint %(ref)s has an answer") % {"ref": case.reference}
        else:
            subject = _("Your complaint %(ref)s: %(state)s") % {"ref": case.reference, "state": state}
        body = _(
            "Complaint %(ref)s is now: %(state)s.\n"
            "Read the answers on the entas citizen portal (Lacak aduan) with the tracking code you received "
            "when you sent it. We never ask for the code by message or telephone."
        ) % {"ref": case.reference, "state": state}
    if channel == "sms":
        body = body.replace("\n", " ")[:300]
    return Message(channel, recipient, str(subject)[:200], str(body))


def compose_escalation(case: Any, level: int, recipient: str) -> Message:
    """The message to a supervisor or the head of the agency: which case, of which kelurahan, past which
    deadline (no complainant's data: the officer opens the case in entas)."""
    with translation.override("id"):
        who = _("the head of the agency") if level >= 2 else _("the supervisor")
        subject = _("Complaint %(ref)s is past its service level") % {"ref": case.reference}
        body = _(
            "Complaint %(ref)s (%(category)s, Kelurahan %(kelurahan)s) is past its service level: first answer "
            "due %(first)s, resolution due %(resolution)s. It is escalated to %(who)s. Open it in entas: "
            "Pengaduan."
        ) % {
            "ref": case.reference,
            "category": case.get_category_display(),
            "kelurahan": case.kelurahan.name,
            "first": case.first_response_due.isoformat(),
            "resolution": case.resolution_due.isoformat(),
            "who": who,
        }
    return Message("email", recipient, str(subject)[:200], str(body))
