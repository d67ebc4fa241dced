"""Poverty and inequality measures on 1,000,000 weighted observations.

Figure: time of each measure, and of the linearised standard errors of FGT and the Gini on a
stratified, clustered design. Floor: a bare weighted mean of (y < z) in numpy, in the same run.
Target (issue 5): a few vectorised passes each (one sort at most); SEs of FGT and Gini under a second.

    .venv/bin/python benchmarks/measures.py [--n 1000000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def best(fn, repeat: int = 7) -> float:  # type: ignore[no-untyped-def]
    from _setup import timed

    return timed(fn, repeat).best


def plain_gini(y, w):  # type: ignore[no-untyped-def]
    """The floor of the Gini: the plainest weighted Gini in numpy (one argsort, two cumulative sums)."""
    import numpy as np

    order = np.argsort(y)
    ys, ws = y[order], w[order]
    cum = np.cumsum(ws) - ws / 2
    return 2 * np.dot(ws * ys, cum) / (ws.sum() * np.dot(ws, ys)) - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    import numpy as np
    from _setup import machine, report

    from entas import measures as m
    from entas.measures import survey as s

    rng = np.random.default_rng(0)
    y = np.exp(rng.normal(14.7, 0.6, args.n))
    w = rng.uniform(50, 150, args.n)
    z = float(np.quantile(y, 0.1))
    design = s.Design(w, strata=rng.integers(0, 6, args.n), psu=rng.integers(0, 400, args.n))
    floor = best(lambda: (w * (y < z)).sum() / w.sum())
    sort_floor = best(lambda: np.argsort(y, kind="stable"))
    gini_floor = best(lambda: plain_gini(y, w))
    assert abs(plain_gini(y, w) - m.gini(y, weights=w)) < 1e-3  # the floor computes the same figure
    cases = {
        "fgt(alpha=0)": lambda: m.fgt(y, z, 0, weights=w),
        "fgt(alpha=2)": lambda: m.fgt(y, z, 2, weights=w),
        "watts": lambda: m.watts(y, z, weights=w),
        "sen": lambda: m.sen(y, z, weights=w),
        "sst": lambda: m.sst(y, z, weights=w),
        "gini": lambda: m.gini(y, weights=w),
        "theil": lambda: m.theil(y, weights=w),
        "atkinson(1)": lambda: m.atkinson(y, 1, weights=w),
        "weighted median": lambda: m.weighted_quantile(y, 0.5, weights=w),
        "palma": lambda: m.palma(y, weights=w),
        "S80/S20": lambda: m.quantile_share_ratio(y, weights=w),
        "survey.fgt SE (linearised)": lambda: s.fgt(y, z, 0, design),
        "survey.gini SE (linearised)": lambda: s.gini(y, design),
        "survey.arpr SE (linearised)": lambda: s.arpr(y, design),
    }
    print(machine())
    print(
        f"{args.n:,} weighted observations. Floors: weighted mean of y < z {floor * 1000:.1f} ms; "
        f"one argsort of y {sort_floor * 1000:.1f} ms; a plain numpy weighted Gini {gini_floor * 1000:.1f} ms"
    )
    print(f"{'measure':<30}{'time':>12}{'x mean floor':>14}{'x sort floor':>14}")
    times = {}
    for name, fn in cases.items():
        t = times[name] = best(fn)
        print(f"{name:<30}{t * 1000:9.1f} ms{t / floor:14.1f}{t / sort_floor:14.2f}")
    report("weighted Gini", times["gini"] * 1000, "ms", floor=gini_floor * 1000, target="≤ 1.2x a plain numpy Gini")
    report("FGT0 with its linearised SE", times["survey.fgt SE (linearised)"] * 1000, "ms", target="< 1 s")
    report("Gini with its linearised SE", times["survey.gini SE (linearised)"] * 1000, "ms", target="< 1 s")


if __name__ == "__main__":
    main()
