"""Measuring the linkage against ground truth: the synthetic city's planted duplicates."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

Pair = tuple[int, int]


def labelled_city(folder: Path) -> tuple[list[dict[str, Any]], set[Pair]]:
    """The member records of a generated city (``registry.csv``, for :func:`linkage.member_frame`)
    and its true duplicate pairs (``duplicates.csv``) as (lower id, higher id)."""
    records: list[dict[str, Any]] = []
    households: dict[str, int] = {}
    with (folder / "registry.csv").open(encoding="utf-8-sig") as handle:
        for i, r in enumerate(csv.DictReader(handle)):
            records.append(
                {
                    "id": i,
                    "nik": r["nik"],
                    "name": r["name"],
                    "sex": r["sex"],
                    "birth_date": r["birth_date"],
                    "kelurahan": r["kelurahan_code"],
                    "rt": r["rt"],
                    "rw": r["rw"],
                    "address": r["address"],
                    "household_id": households.setdefault(r["kk_number"], len(households)),
                }
            )
    ids = {r["nik"]: r["id"] for r in records}
    with (folder / "duplicates.csv").open() as handle:
        truth = {_ordered(ids[p["nik_a"]], ids[p["nik_b"]]) for p in csv.DictReader(handle)}
    return records, truth


def _ordered(a: int, b: int) -> Pair:
    return (a, b) if a < b else (b, a)


def found_pairs(predicted: Iterable[dict[str, Any]]) -> set[Pair]:
    """The pairs of splink's prediction records, as (lower id, higher id)."""
    return {_ordered(int(r["unique_id_l"]), int(r["unique_id_r"])) for r in predicted}


def accuracy(found: set[Pair], truth: set[Pair]) -> tuple[float, float, float]:
    """Precision, recall and F1 of ``found`` against ``truth``."""
    hits = len(found & truth)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
