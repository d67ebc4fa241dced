"""Request metrics under several web worker processes (entas serve): each process writes its counters to
the shared directory and a scrape, answered by any one of them, sums them all, exited workers included."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from entas.core.observability import BUCKETS, RequestMetrics, prepare_directory

fork = multiprocessing.get_context("fork")


def _serve(directory: Path, requests: int, status: int, release: Any = None, ready: Any = None) -> None:
    metrics = RequestMetrics()
    metrics.share(directory)
    for _ in range(requests):
        metrics.observe("GET", status, 0.07)
    if ready is not None:
        ready.set()
    if release is not None:
        release.wait(30)


@pytest.mark.integration
def test_a_scrape_sums_every_worker_and_keeps_the_counts_of_exited_ones(tmp_path: Path) -> None:
    directory = prepare_directory(tmp_path / "metrics")
    release, ready = fork.Event(), fork.Event()
    live = fork.Process(target=_serve, args=(directory, 3, 200, release, ready))
    live.start()
    exited = [
        fork.Process(target=_serve, args=(directory, 5, 200)),
        fork.Process(target=_serve, args=(directory, 2, 500)),
    ]
    for p in exited:
        p.start()
    for p in exited:
        p.join(30)
    assert ready.wait(30)

    scraper = RequestMetrics()  # the worker that answers the scrape (it has served nothing itself)
    scraper.share(directory)
    first = scraper.snapshot()
    assert first["total"] == 10
    assert {(m, c): n for m, c, n in first["counts"]} == {("GET", "2xx"): 8, ("GET", "5xx"): 2}
    assert first["buckets"][BUCKETS.index(0.1)] == 10 and first["buckets"][0] == 0
    # The exited workers' files were folded into one; the live worker's stays its own.
    names = sorted(p.name for p in directory.glob("requests-*.json"))
    assert len(names) == 2 and "requests-exited.json" in names

    release.set()
    live.join(30)
    again = scraper.snapshot()  # the last worker exited too: nothing is lost, nothing counted twice
    assert again["total"] == 10 and [p.name for p in directory.glob("requests-*.json")] == ["requests-exited.json"]


def test_without_a_shared_directory_the_counters_are_the_process_s_own(tmp_path: Path) -> None:
    metrics = RequestMetrics()
    metrics.observe("POST", 302, 0.3)
    assert metrics.snapshot()["counts"] == [["POST", "3xx", 1]]
    assert not list(tmp_path.iterdir())


def test_a_new_server_starts_from_zero(tmp_path: Path) -> None:
    directory = prepare_directory(tmp_path / "m")
    (directory / "requests-exited.json").write_text('{"counts": [], "buckets": [], "total": 9, "seconds": 1}')
    prepare_directory(directory)
    assert not list(directory.glob("requests-*"))
