"""Locks held by jobs: a row that a background job is working on (a cycle whose payment file is being
written) is marked with that job, and nobody else changes it meanwhile.

The lock is a reference to the :class:`~entas.core.models.Job`, not a flag: it holds only while its
job is queued or running. A job that finishes releases its locks; a job that a dead worker left
behind is found interrupted (:func:`entas.core.jobqueue.mark_interrupted`), marked failed, and its
locks are released with it, so a crash can never leave a row locked for ever, and re-running the
failed job takes the lock again.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Job

ACTIVE = (Job.Status.QUEUED, Job.Status.RUNNING)


class JobLocked(models.Model):
    """A model whose rows a job can hold (abstract: add it to the model's bases)."""

    locked_by = models.ForeignKey(
        "core.Job",
        verbose_name=_("locked by job"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The job working on this row; the lock ends when the job ends."),
    )

    class Meta:
        abstract = True


def acquire(model: type[JobLocked], pk: Any, job: Job) -> bool:
    """Take the row for ``job``: True when it was free (or held by a job that has ended, or already by
    this job). One conditional UPDATE, so two jobs can never both take it."""
    free = Q(locked_by__isnull=True) | Q(locked_by=job) | ~Q(locked_by__status__in=ACTIVE)
    return model._default_manager.filter(free, pk=pk).update(locked_by=job) == 1


def release(model: type[JobLocked], pk: Any, job: Job) -> None:
    """Give the row back (only if ``job`` holds it)."""
    model._default_manager.filter(pk=pk, locked_by=job).update(locked_by=None)


def holder(row: JobLocked) -> Job | None:
    """The job holding ``row`` now, or None (a lock whose job has ended holds nothing)."""
    if row.locked_by_id is None:
        return None
    return Job.objects.filter(pk=row.locked_by_id, status__in=ACTIVE).first()


def release_all(job_ids: list[int]) -> int:
    """Release every row held by these jobs (jobs found interrupted), in every model that has locks."""
    released = 0
    for model in apps.get_models():
        if issubclass(model, JobLocked) and job_ids:
            released += model._default_manager.filter(locked_by__in=job_ids).update(locked_by=None)
    return released
