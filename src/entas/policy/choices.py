"""The policy register's choices, with translated labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanKind(models.TextChoices):
    RPKD = "rpkd", _("RPKD (five-year plan)")
    ACTION_PLAN = "action_plan", _("Yearly action plan (Rencana Aksi Tahunan)")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ADOPTED = "adopted", _("Adopted")
    SUPERSEDED = "superseded", _("Superseded")


class NationalStrategy(models.TextChoices):
    """The national strategies against (extreme) poverty a city strategy serves (Inpres 4/2022), or the
    city's own."""

    REDUCE_BURDEN = "reduce_burden", _("Reduce the expenditure burden")
    RAISE_INCOME = "raise_income", _("Raise income")
    REDUCE_POCKETS = "reduce_pockets", _("Reduce poverty pockets")
    CITY = "city", _("The city's own strategy")


class ProgrammeStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    STOPPED = "stopped", _("Stopped")


class FundingKind(models.TextChoices):
    APBD = "apbd", _("City budget (APBD)")
    DANA_KELURAHAN = "dana_kelurahan", _("Dana Kelurahan")
    APBN = "apbn", _("National budget (APBN)")
    CSR = "csr", _("CSR partner")
    OTHER = "other", _("Other")
    # Not a planned amount: what partners delivered (cash and the value of goods), recorded as their
    # contributions (entas.participation) and added to the roll-ups (selectors.add_funding_source).
    PARTNER = "partner", _("Partner contributions (delivered)")


class ActivityLevel(models.TextChoices):
    KEGIATAN = "kegiatan", _("Kegiatan (activity)")
    SUB_KEGIATAN = "sub_kegiatan", _("Sub-kegiatan (sub-activity)")


class AdjustmentState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
