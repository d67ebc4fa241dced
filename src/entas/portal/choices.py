"""The portal's choices, with translated labels (English msgid, Indonesian in the .po file)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    PAYMENT_NOT_RECEIVED = "payment_not_received", _("Payment not received")
    WRONG_AMOUNT = "wrong_amount", _("Wrong amount")
    WRONGLY_EXCLUDED = "wrongly_excluded", _("Wrongly excluded from aid")
    WRONGLY_INCLUDED = "wrongly_included", _("Someone receives aid who should not")
    MISCONDUCT = "misconduct", _("Rude or corrupt service")
    DATA_ERROR = "data_error", _("Wrong data about my family")
    USUL = "usul", _("Usul: ask to be registered")
    SANGGAH = "sanggah", _("Sanggah: object to a listed household")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Unit(models.TextChoices):
    DINSOS = "dinsos", _("Dinas Sosial")
    KELURAHAN = "kelurahan", _("Kelurahan")
    BANK = "bank", _("Paying bank")


class State(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting for the citizen")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class Channel(models.TextChoices):
    WEB = "web", _("Public form")
    WALK_IN = "walk_in", _("Walk-in")
    PHONE = "phone", _("Telephone")
    LAPOR = "lapor", _("SP4N-LAPOR!")


class NoteKind(models.TextChoices):
    INTERNAL = "internal", _("Internal note")
    PUBLIC = "public", _("Public answer")


class Escalation(models.IntegerChoices):
    NONE = 0, _("Within service level")
    SUPERVISOR = 1, _("Escalated to the supervisor")
    HEAD = 2, _("Escalated to the head of the agency")


STEP_LABELS = {
    "start": _("Start handling"),
    "ask_citizen": _("Ask the citizen"),
    "citizen_replied": _("The citizen replied"),
    "resolve": _("Resolve"),
    "close": _("Close"),
    "reopen": _("Reopen"),
}
