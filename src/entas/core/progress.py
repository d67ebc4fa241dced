"""Foreground progress bars for jobs run from the command line (the same jobs the worker runs)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .jobqueue import ProgressCallback
from .models import Job


@contextmanager
def job_progress(description: str, *, enabled: bool = True) -> Iterator[ProgressCallback | None]:
    """Yield a progress callback for :func:`entas.core.jobqueue.execute` that draws a bar on stderr."""
    if not enabled:
        yield None
        return
    from rich.console import Console  # here, not at start-up: only a command drawing a bar needs it
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task(description, total=None)
        printed = 0

        def update(job: Job) -> None:
            nonlocal printed
            progress.update(bar, completed=job.done, total=job.total)
            lines = job.log_lines
            for line in lines[printed:]:
                progress.console.print(line, markup=False, highlight=False)
            printed = len(lines)

        yield update
