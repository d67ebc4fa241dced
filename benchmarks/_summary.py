"""``make bench``'s last step: the headline figures of every benchmark of the run, as one table.

    .venv/bin/python benchmarks/_summary.py RESULTS.jsonl

RESULTS.jsonl holds one JSON object per figure (written by ``_setup.report`` when ENTAS_BENCH_RESULTS
names the file)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    from _setup import machine

    path = Path(sys.argv[1])
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    print(f"\n== summary: {len(rows)} figures ==\n{machine()}")
    print(f"{'benchmark':<20}{'figure':<50}{'value':>14}  {'x floor':>8}  target")
    for r in rows:
        value = f"{r['value']:,.3g} {r['unit']}".strip()
        ratio = f"{r['value'] / r['floor']:.2f}x" if r.get("floor") else ""
        print(f"{r['benchmark']:<20}{r['figure'][:49]:<50}{value:>14}  {ratio:>8}  {r.get('target', '')}")


if __name__ == "__main__":
    main()
