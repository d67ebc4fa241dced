from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from entas.core import jobqueue
from entas.core.cli import EntasCommand
from entas.core.models import Job
from entas.core.progress import job_progress


class Command(EntasCommand):
    actor_mode = "optional"
    no_actor = frozenset({"kinds", "list", "show", "rerun"})

    help = (
        "Background jobs from the command line. 'entas jobs kinds' lists what can run; "
        "'entas jobs run KIND --as USER [--param key=value]' runs one in the foreground with a "
        "progress bar (or queues it with --background); 'entas jobs list', 'entas jobs show ID' and "
        "'entas jobs rerun ID' inspect and re-run jobs, including those started from the pages."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("kinds", help="List the job kinds.")
        run = sub.add_parser("run", help="Run a job (foreground unless --background).")
        run.add_argument("kind", help="Job kind, e.g. registry.export")
        run.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="Job parameter.")
        run.add_argument("--background", action="store_true", help="Queue for the worker instead.")
        sub.add_parser("list", help="The 20 most recent jobs.")
        show = sub.add_parser("show", help="Status, progress and log of one job.")
        show.add_argument("job_id", type=int)
        rerun = sub.add_parser("rerun", help="Run a finished or failed job again with the same parameters.")
        rerun.add_argument("job_id", type=int)
        rerun.add_argument("--background", action="store_true", help="Queue for the worker instead.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"do_{action}")(**options)

    def do_kinds(self, **options: Any) -> None:
        for kind in sorted(jobqueue.kinds().values(), key=lambda k: k.kind):
            self.stdout.write(f"{kind.kind}\t{kind.label}")

    def do_run(self, *, kind: str, actor: Any, param: list[str], background: bool, **options: Any) -> None:
        actor = self.require_actor(actor)
        params = {}
        for item in param:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise CommandError(f"--param {item!r} must be KEY=VALUE.")
            params[key] = value
        job = jobqueue.submit(kind=kind, params=params, actor=actor, queue=background)
        self._run(job, background, options["verbosity"])

    def do_list(self, **options: Any) -> None:
        for job in Job.objects.select_related("created_by")[:20]:
            owner = job.created_by.username if job.created_by else "-"
            self.stdout.write(f"{job.pk}\t{job.kind}\t{job.status}\t{job.done}/{job.total or '?'}\t{owner}")

    def do_show(self, *, job_id: int, **options: Any) -> None:
        job = self._get(job_id)
        self.stdout.write(f"Job {job.pk} {job.kind}: {job.status} {job.done}/{job.total or '?'}")
        self.stdout.write(job.log)
        if job.error:
            self.stdout.write(job.error)
        if job.result_file:
            self.stdout.write(f"Result file: {job.result_file.path}")

    def do_rerun(self, *, job_id: int, background: bool, **options: Any) -> None:
        old = self._get(job_id)
        job = jobqueue.rerun(job=old, actor=old.created_by, queue=background)
        self._run(job, background, options["verbosity"])

    def _get(self, job_id: int) -> Job:
        job = Job.objects.filter(pk=job_id).first()
        if job is None:
            raise CommandError(f"No job {job_id}.")
        return job

    def _run(self, job: Job, background: bool, verbosity: int) -> None:
        if background:
            self.stdout.write(f"Job {job.pk} queued; 'entas worker' will run it ('entas jobs show {job.pk}').")
            return
        label = jobqueue.get_kind(job.kind).label
        with job_progress(str(label), enabled=verbosity > 0) as on_progress:
            job = jobqueue.execute(job.pk, on_progress=on_progress)
        if job.status != Job.Status.SUCCEEDED:
            raise CommandError(f"Job {job.pk} failed: {job.error.splitlines()[0] if job.error else ''}")
        self.stdout.write(f"Job {job.pk} succeeded: {job.result}")
        if job.result_file:
            self.stdout.write(f"Result file: {job.result_file.path}")
