from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditImmutableError(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditImmutableError("Audit events cannot be changed.")

    def delete(self) -> NoReturn:
        raise AuditImmutableError("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One thing a person did to, or saw of, the city's data: the accountability record that
    UU 27/2022 (Pelindungan Data Pribadi) expects of whoever holds NIKs, family, health and
    financial data. Written by services in the same transaction as the change it describes;
    append-only: the application offers no way to edit or delete a row.
    """

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    region_code = models.CharField(_("region code"), max_length=32, blank=True, db_index=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    channel = models.CharField(
        _("channel"), max_length=8, blank=True, help_text=_("web, api, cli (an entas command) or job (the worker).")
    )
    os_user = models.CharField(
        _("operating-system account"), max_length=64, blank=True, help_text=_("Who ran the command on the server.")
    )
    note = models.TextField(_("note"), blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        # A user's recent events of one action: what a rate limit counts (entas.core.ratelimit). By the
        # time index alone, a check after a large import walked its whole hour of events (0.4 s).
        indexes = [models.Index(fields=["actor", "action", "at"], name="core_audit_actor_action_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditImmutableError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditImmutableError("Audit events cannot be deleted.")

    @property
    def changes(self) -> list[tuple[str, Any, Any]]:
        """(field, before, after) for each recorded field, for display."""
        before, after = self.before or {}, self.after or {}
        return [(k, before.get(k), after.get(k)) for k in sorted({*before, *after})]


class Job(models.Model):
    """A piece of long work (an import, an export, a payment run) done by the background worker,
    with the progress and log lines its page shows while it runs and the file it produced.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    done = models.PositiveBigIntegerField(_("done"), default=0)
    total = models.PositiveBigIntegerField(_("total"), null=True, blank=True)
    log = models.TextField(_("log"), blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    result_file = models.FileField(_("result file"), upload_to="jobs/%Y/%m/", blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="jobs",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    # The language of the person who started the job: its log and messages are written in it, even by a
    # worker that serves everyone.
    language = models.CharField(_("language"), max_length=8, blank=True)
    rerun_of = models.ForeignKey("self", verbose_name=_("re-run of"), null=True, blank=True, on_delete=models.SET_NULL)
    locks = models.JSONField(
        _("locks"),
        default=list,
        blank=True,
        help_text=_(
            "What the job works on (e.g. registry.64.71.01.1001): no other unfinished job may hold an "
            "overlapping lock (see entas.core.jobqueue)."
        ),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def public_error(self) -> str:
        """The error as users see it. Jobs that crashed before entas kept tracebacks out of job rows
        stored one after a blank line; it is never shown (the server log has it)."""
        return self.error.split("\n\nTraceback (most recent call last)", 1)[0]

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.status == self.Status.SUCCEEDED else None
        return min(100, round(100 * self.done / self.total))

    @property
    def log_lines(self) -> list[str]:
        return [line for line in self.log.splitlines() if line]


class WorkerHeartbeat(models.Model):
    """One ``entas worker`` process and its last sign of life, for the health check.

    The worker's polling loop writes ``seen_at`` (at most every ENTAS_WORKER_HEARTBEAT_SECONDS) and,
    while it runs a job, names the job, whose own progress then counts as the worker's sign of life.
    A row whose worker neither polls nor makes progress is a dead or stuck worker: the process may
    still exist, but nothing it does reaches the queue.
    """

    worker_id = models.CharField(_("worker id"), max_length=64, unique=True)
    hostname = models.CharField(_("host"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    seen_at = models.DateTimeField(_("last poll"), default=timezone.now)
    job = models.ForeignKey(
        Job, verbose_name=_("running job"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    last_outage = models.TextField(_("last database outage"), blank=True)

    class Meta:
        ordering = ["-seen_at"]
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid}"
