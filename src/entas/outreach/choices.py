"""Categorical values of awareness campaigns, with translated labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Theme(models.TextChoices):
    EDUCATION = "education", _("Education")
    HEALTH = "health", _("Health")
    JKN = "jkn", _("JKN/BPJS health insurance enrolment")
    CIVIL = "civil", _("Citizens' rights and civil registration")
    STUNTING = "stunting", _("Stunting prevention")
    FINANCE = "finance", _("Financial literacy")
    COMPLAINTS = "complaints", _("How to complain or apply for aid")


class Channel(models.TextChoices):
    SEMINAR = "seminar", _("Seminar")
    DOOR = "door", _("Door to door")
    POSYANDU = "posyandu", _("Posyandu")
    WORSHIP = "worship", _("Mosque or church gathering")
    RADIO = "radio", _("Radio")
    SOCIAL = "social", _("Social media")


class Source(models.TextChoices):
    """How an attendee was recorded."""

    SCANNED = "scanned", _("NIK scanned")
    TYPED = "typed", _("NIK typed")
    FILE = "file", _("Sign-in sheet imported")


class Phase(models.TextChoices):
    BEFORE = "before", _("Before")
    AFTER = "after", _("After")


class Group(models.TextChoices):
    """The two groups of a follow-up."""

    ATTENDED = "attended", _("Attending households")
    COMPARISON = "comparison", _("Comparable households that did not attend")


class Sex(models.TextChoices):
    MALE = "1", _("Male")
    FEMALE = "2", _("Female")


# The age bands anonymous counts and breakdowns use (entas.outreach.rules.AGE_BANDS).
AGE_BAND_CHOICES = [
    ("0-14", "0–14"),
    ("15-24", "15–24"),
    ("25-44", "25–44"),
    ("45-59", "45–59"),
    ("60+", "60+"),
]
