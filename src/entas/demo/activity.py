"""Background work of the demonstration (``entas seed_demo``): jobs started by the demo users, so the
jobs pages and the duplicate review queue do not open empty.

- each kelurahan operator has exported the registry of their kelurahan (a finished job with its file);
- the second Dinas Sosial manager has exported the payee list of the cycle waiting for approval;
- the Dinas Sosial manager has started a search for duplicate people across the city: queued, for the
  worker ``make demo`` starts beside the server (on a city of 250,000 families it takes minutes, with
  its progress on the job page).

Idempotent: a second run starts nothing that exists."""

from __future__ import annotations

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.core import jobqueue
from entas.core.models import Job
from entas.programs.models import Cycle


def seed_jobs() -> list[str]:
    """Start the demo's jobs; what was done, for seed_demo's log."""
    done: list[str] = []
    for operator in User.objects.filter(role=Role.OPERATOR, username__startswith="op.").order_by("username"):
        if Job.objects.filter(kind="registry.export", created_by=operator).exists():
            continue
        job = jobqueue.submit(kind="registry.export", params={"format": "csv"}, actor=operator, queue=False)
        finished = jobqueue.execute(job.pk)
        done.append(f"{operator.username} exported the registry of their area (job #{job.pk}: {finished.status})")
    checker = User.objects.filter(username="dinsos2").first()
    waiting = Cycle.objects.filter(state=Cycle.State.TO_APPROVE).order_by("pk").first()
    if checker is not None and waiting is not None and not Job.objects.filter(kind="programs.payees").exists():
        # Before approving, the second manager takes the list of who is paid how much as a spreadsheet.
        job = jobqueue.submit(kind="programs.payees", params={"cycle": waiting.pk}, actor=checker, queue=False)
        finished = jobqueue.execute(job.pk)
        done.append(f"dinsos2 exported the payee list of cycle {waiting.pk} (job #{job.pk}: {finished.status})")
    manager = User.objects.filter(username="dinsos1").first()
    if manager is not None and not Job.objects.filter(kind="dedup.run").exists():
        job = jobqueue.submit(kind="dedup.run", params={}, actor=manager)
        done.append(f"dinsos1 started a search for duplicate people (job #{job.pk}, queued for the worker)")
    return done
