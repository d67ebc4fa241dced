"""``make bench``'s last step: the headline figures of every benchmark of the run, as one table.

    .venv/bin/python benchmarks/_summary.py RESULTS.jsonl
    .venv/bin/python benchmarks/_summary.py --markdown RUN1.jsonl RUN2.jsonl …   # runs side by side

RESULTS.jsonl holds one JSON object per figure (written by ``_setup.report`` when ENTAS_BENCH_RESULTS
names the file), with the load average when it was measured. ``--markdown`` puts several runs of the
same benchmarks side by side (value, ratio to its floor, load average), as docs/performance.md shows
them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _value(r: dict) -> str:
    return f"{r['value']:,.3g} {r['unit']}".strip()


def _ratio(r: dict) -> str:
    return f"{r['value'] / r['floor']:.2f}x" if r.get("floor") else ""


def markdown(paths: list[Path]) -> None:
    runs = []
    for p in paths:  # a benchmark run twice in one run (two sizes) keeps both: keyed by occurrence
        seen: dict[tuple[str, str, str], int] = {}
        run = {}
        for r in _rows(p):
            key = (r["benchmark"], r["figure"], r.get("database", ""))
            seen[key] = seen.get(key, 0) + 1
            run[(*key, seen[key])] = r
        runs.append(run)
    keys = list(dict.fromkeys(k for run in runs for k in run))
    head = " | ".join(f"run {n} (× floor, load)" for n in range(1, len(runs) + 1))
    print(f"| benchmark | figure | database | {head} | target |")
    print("|---|---|---|" + "---|" * len(runs) + "---|")
    for key in keys:
        cells = []
        target = ""
        for run in runs:
            r = run.get(key)
            if r is None:
                cells.append("–")
                continue
            target = r.get("target") or target
            extra = ", ".join(x for x in (_ratio(r), f"load {r['load']}" if r.get("load") is not None else "") if x)
            cells.append(f"{_value(r)}" + (f" ({extra})" if extra else ""))
        print(f"| `{key[0]}` | {key[1]} | {key[2]} | {' | '.join(cells)} | {target} |")


def main() -> None:
    if sys.argv[1:2] == ["--markdown"]:
        markdown([Path(p) for p in sys.argv[2:]])
        return
    from _setup import machine

    rows = _rows(Path(sys.argv[1]))
    print(f"\n== summary: {len(rows)} figures ==\n{machine()}")
    print(f"{'benchmark':<20}{'figure':<50}{'value':>14}  {'x floor':>8}  target")
    for r in rows:
        print(f"{r['benchmark']:<20}{r['figure'][:49]:<50}{_value(r):>14}  {_ratio(r):>8}  {r.get('target', '')}")


if __name__ == "__main__":
    main()
