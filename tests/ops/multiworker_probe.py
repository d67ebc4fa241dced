"""A worker process for the multi-worker test (test_multiworker.py), against the database named by
the environment: ``python -m tests.ops.multiworker_probe [entas worker options]``.

It registers the ``probe.record`` job kind, whose every run appends "<job id> <pid>" to the file
ENTAS_PROBE_LOG: a job run twice appears twice."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entas.settings")
django.setup()

from django.core.management import execute_from_command_line  # noqa: E402

from entas.core.jobqueue import JobContext, job_kind  # noqa: E402


@job_kind("probe.record", "Probe job (multi-worker test)")
def record(ctx: JobContext) -> dict[str, Any]:
    time.sleep(0.05)
    with open(os.environ["ENTAS_PROBE_LOG"], "a") as out:
        out.write(f"{ctx.job.pk} {os.getpid()}\n")
    return {"pid": os.getpid()}


if __name__ == "__main__":
    execute_from_command_line(["entas", "worker", *sys.argv[1:]])
