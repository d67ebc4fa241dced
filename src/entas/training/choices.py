"""Categorical values of skills training, with translated labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProviderKind(models.TextChoices):
    BLK = "blk", _("Public training centre (UPTD BLK/BLKI)")
    LPK = "lpk", _("Private training institute (LPK)")
    SMK = "smk", _("Vocational school (SMK)")
    UNIVERSITY = "university", _("Polytechnic or university")
    COMPANY = "company", _("Company")


class Mode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")
    BLENDED = "blended", _("Blended")


class CohortStatus(models.TextChoices):
    PLANNED = "planned", _("Open for applications")
    SELECTED = "selected", _("Selection done")
    COMPLETED = "completed", _("Completed")


class Channel(models.TextChoices):
    """How an application arrived."""

    OFFICER = "officer", _("Entered by a training officer")
    OPERATOR = "operator", _("Entered by a kelurahan operator")
    FILE = "file", _("Imported from a file")
    RULE = "rule", _("Drawn by a targeting rule")


class ApplicationStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    SELECTED = "selected", _("Selected")
    WAITING = "waiting", _("Waiting list")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible")


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    ABSENT = "absent", _("Absent")
    EXCUSED = "excused", _("Excused")


class Outcome(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    DROPPED_OUT = "dropped_out", _("Dropped out")


class Assessment(models.TextChoices):
    COMPETENT = "competent", _("Competent (kompeten)")
    NOT_YET = "not_yet", _("Not yet competent (belum kompeten)")
    NOT_ASSESSED = "not_assessed", _("Not assessed")


class Employment(models.TextChoices):
    WAGE = "wage", _("Wage employment")
    SELF = "self", _("Self-employed or own business")
    NONE = "none", _("Not working")


class Contract(models.TextChoices):
    PERMANENT = "permanent", _("Permanent (PKWTT)")
    FIXED = "fixed", _("Fixed-term (PKWT)")
    INFORMAL = "informal", _("No written contract")
    NONE = "none", _("Not applicable")


# The criteria of priority a course orders (entas.training.rules.PRIORITIES), in words.
PRIORITY_LABELS = {
    "desil": _("lowest desil"),
    "never_trained": _("no one in the household trained before"),
    "unemployed": _("unemployed"),
    "disability": _("with a disability"),
}
