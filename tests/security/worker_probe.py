"""The worker probe's other processes (see test_worker.py), run against a file or server database
named by the environment:

    python -m tests.security.worker_probe worker [entas worker options]   # the real `entas worker`
    python -m tests.security.worker_probe submit                          # queue one probe job, print its id

Both register the ``probe.noop`` job kind first, so the worker can run what the submitter queues.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entas.settings")
django.setup()

from django.core.management import execute_from_command_line  # noqa: E402

from entas.core.jobqueue import JobContext, job_kind, submit  # noqa: E402


@job_kind("probe.noop", "Probe job (worker test)")
def noop(ctx: JobContext) -> dict[str, Any]:
    ctx.log("probe job ran")
    return {"ran": True}


def main(argv: list[str]) -> None:
    if argv[:1] == ["worker"]:
        execute_from_command_line(["entas", "worker", *argv[1:]])
    elif argv[:1] == ["submit"]:
        print(submit(kind="probe.noop", params={}, actor=None).pk)
    else:
        raise SystemExit(f"usage: {sys.argv[0]} worker [options] | submit")


if __name__ == "__main__":
    main(sys.argv[1:])
