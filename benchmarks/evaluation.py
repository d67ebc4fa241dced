"""Impact-evaluation estimators: speed of the two-way fixed-effects DiD on a household panel, and the
coverage of each estimator's 95 % interval over many synthetic data sets with a known effect.

Figure: TWFE with unit and period effects and errors clustered by household, on 300,000 households ×
4 waves. Floor: one weighted least squares (numpy lstsq) on the same number of rows with the
treatment and the period dummies, in the same run. Coverage: the share of seeds whose interval holds
the true effect (target: about 95 %).

    .venv/bin/python benchmarks/evaluation.py [--households 300000] [--seeds 400]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=300_000)
    parser.add_argument("--seeds", type=int, default=400)
    args = parser.parse_args()
    import numpy as np
    from _setup import machine, report, timed

    from entas.evaluation import estimators as est
    from tests.evaluation.synthetic import discontinuity, panel, selection

    print(machine())
    data = panel(0, units=args.households, periods=4, cohorts=(1, 2))
    n = data["y"].size
    x = np.column_stack([np.ones(n), data["treat"], *(data["time"] == t for t in (1, 2, 3))]).astype(float)
    w = np.sqrt(np.ones(n))
    floor = timed(lambda: np.linalg.lstsq(x * w[:, None], data["y"] * w, rcond=None), 3).best
    fit = timed(lambda: est.twfe(data["y"], data["unit"], data["time"], data["treat"]), 3).best
    print(f"{args.households:,} households × 4 waves = {n:,} rows: TWFE {fit:.2f} s, floor (one WLS) {floor:.2f} s")
    report("DiD (TWFE, clustered SE), households × 4 waves", fit, "s", floor=floor, target="a few times one WLS")

    seeds = range(1000, 1000 + args.seeds)

    def coverage(check) -> float:  # type: ignore[no-untyped-def]
        return float(np.mean([check(s) for s in seeds]))

    def twfe_ok(s: int) -> bool:
        d = panel(s, units=80, periods=4, cohorts=(2,))
        r = est.twfe(d["y"], d["unit"], d["time"], d["treat"])
        return bool(r.ci_low <= d["true_att"] <= r.ci_high)

    def cs_ok(s: int) -> bool:
        d = panel(s, units=120, periods=5, cohorts=(2, 3), effect=0.5, dynamic=0.5)
        r = est.callaway_santanna(d["y"], d["unit"], d["time"], d["treat"])
        return bool(r.ci_low <= d["true_att"] <= r.ci_high)

    def rd_ok(s: int) -> bool:
        d = discontinuity(s, n=1500)
        r = est.rd_local_linear(d["y"], d["x"], 0.0)
        return bool(r.ci_low <= 0.5 <= r.ci_high)

    def ipw_ok(s: int) -> bool:
        d = selection(s, n=800)
        r = est.ipw_att(d["y"], d["d"], d["x"])
        return bool(r.ci_low <= 1.0 <= r.ci_high)

    def nn_ok(s: int) -> bool:
        d = selection(s, n=800)
        r = est.nearest_neighbour_att(d["y"], d["d"], d["x"])
        return bool(r.ci_low <= 1.0 <= r.ci_high)

    for name, check in (
        ("TWFE", twfe_ok),
        ("Callaway–Sant'Anna (heterogeneous effects)", cs_ok),
        ("RD robust bias-corrected", rd_ok),
        ("IPW ATT", ipw_ok),
        ("nearest-neighbour ATT", nn_ok),
    ):
        report(
            f"coverage of the 95 % interval, {name}, {args.seeds} seeds", 100 * coverage(check), "%", target="≈ 95 %"
        )


if __name__ == "__main__":
    main()
