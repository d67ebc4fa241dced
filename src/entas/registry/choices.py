from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    MALE = "1", _("Male")
    FEMALE = "2", _("Female")


class Relationship(models.TextChoices):
    """Relationship to the head of the family (Regsosek 409)."""

    HEAD = "1", _("Head of family")
    SPOUSE = "2", _("Husband/wife")
    CHILD = "3", _("Child")
    CHILD_IN_LAW = "4", _("Son/daughter-in-law")
    GRANDCHILD = "5", _("Grandchild")
    PARENT = "6", _("Parent/parent-in-law")
    DOMESTIC_WORKER = "7", _("Domestic worker")
    OTHER = "8", _("Other")
