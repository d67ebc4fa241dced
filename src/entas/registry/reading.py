"""The reading process of a large registry import.

Reading, parsing and validating a file is pure Python (about 35 µs a row); writing it is the
database's work and the importing process's. Done in turn they add up; on two cores they overlap,
which is what brings a million-row import over 20,000 rows/s (docs/registry-import.md, Speed).

The reading process runs this module as its main module (``python -m entas.registry.reading``) and
sets Django up itself; the parsing it runs is :mod:`entas.registry.parsing`, which queries no
database (the importer, :mod:`entas.registry.importer`, does the writing).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from .fileformats import FileFormatError, open_rows

if TYPE_CHECKING:
    from entas.core.uploads import TextFile

    from .parsing import ParseContext


PARALLEL_MIN_ROWS = 50_000  # a file of this many lines is read in a process of its own
QUEUED_BATCHES = 2  # parsed batches that may wait for the importer (bounds the memory they take)
_FRAME = struct.Struct("<Q")  # each message: its length, then the pickle of (kind, payload)


def read_in_process(
    path: Path, context: ParseContext, name: str | None = None, text: TextFile | None = None
) -> Iterator[list[Any]]:
    """The parsed batches of ``path`` (lists of ``parsing.Family``), read and validated by
    ``python -m entas.registry.reading`` beside this process.

    A plain subprocess rather than multiprocessing: forking a process that may run threads (the job
    worker) can deadlock, and multiprocessing's "spawn" re-runs the caller's main script. A thread
    here moves the child's messages into a short queue, so the child reads ahead while this process
    writes. The child stops when this generator is closed, and by itself when this process dies
    (its writes fail)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "entas.registry.reading"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "entas.settings"),
            "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        },
    )
    assert child.stdin is not None and child.stdout is not None
    frames: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUED_BATCHES)
    pump = threading.Thread(target=_pump, args=(child.stdout, frames), name="entas-import-reader", daemon=True)
    pump.start()
    try:
        pickle.dump((str(path), context, name, text), child.stdin)
        child.stdin.close()
        while (frame := frames.get()) is not None:
            kind, payload = pickle.loads(frame)  # noqa: S301 - written by our own child process
            if kind == "batch":
                yield payload
            elif kind == "error":
                raise payload
            else:
                return
        raise FileFormatError(
            _(
                "Reading the file stopped unexpectedly (exit code %(code)s); the batches saved so far "
                "are complete families, and a re-run finishes the job."
            )
            % {"code": child.wait()}
        )
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        while pump.is_alive():  # take what it still holds, so it reaches the stream's end and stops
            with contextlib.suppress(queue.Empty):
                frames.get(timeout=0.1)
        child.stdout.close()


def _pump(stream: IO[bytes], frames: queue.Queue[bytes | None]) -> None:
    """Move the child's messages into ``frames``; None when the stream ends."""
    try:
        while len(head := stream.read(_FRAME.size)) == _FRAME.size:
            (size,) = _FRAME.unpack(head)
            frame = stream.read(size)
            if len(frame) < size:
                break
            frames.put(frame)
    except (OSError, ValueError):  # the stream was closed under us: the import is over
        pass
    frames.put(None)


def main() -> None:
    """The reading process: reads (path, context) from stdin, writes ("batch", families) messages,
    then ("done", None), to stdout; a file that cannot be read writes ("error", exception) for the
    importer to raise."""
    from entas.core.startup import quick_setup

    # A fresh interpreter: nothing of Django is loaded yet (unpickling the context imports parsing).
    # Its start-up is on the import's critical path: the collector paused, and no URL configuration.
    quick_setup(urls=False)
    path, context, name, text = pickle.load(sys.stdin.buffer)  # noqa: S301 - written by the importer
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # whatever else prints must not mix into the messages

    def send(kind: str, payload: Any) -> None:
        frame = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_FRAME.pack(len(frame)))
        out.write(frame)
        out.flush()

    translation.activate(context.language or settings.LANGUAGE_CODE)
    from entas.core.bulk import gc_paused

    from .parsing import FileParser

    try:
        with gc_paused():  # the reading process's objects are parsed rows: nothing for it to find
            # The importer sniffed the file already (its encoding, its lines): not a second full pass.
            for batch in FileParser(open_rows(Path(path), name, text=text), context).batches():
                for family in batch:
                    family.pack()
                send("batch", batch)
    except BrokenPipeError:  # the importer is gone
        raise SystemExit(1) from None
    except FileFormatError as exc:
        send("error", exc)
    except Exception as exc:  # anything else still reaches the importer, with its message
        send("error", RuntimeError(f"{type(exc).__name__}: {exc}"))
    else:
        send("done", None)


if __name__ == "__main__":
    main()
