"""Synthetic city generation speed and memory.

Figure: seconds to generate 1,000,000 members (about 330,000 households) and to write them as
CSV, and the peak memory. Floor: a minimal numpy computation over the same number of members
(drawing one normal per member and sorting it), measured in the same run.
Target (issue 4): generation well under a minute on a 2-core machine, under 2 GB.

    .venv/bin/python benchmarks/synth.py [--members 1000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1_000_000)
    args = parser.parse_args()
    import numpy as np
    from _setup import machine, report

    from entas.synth import SynthConfig, build, write

    print(machine())

    households = int(args.members / 3.05)
    start = time.perf_counter()
    rng = np.random.default_rng(0)
    np.sort(rng.normal(size=args.members))
    floor = time.perf_counter() - start

    start = time.perf_counter()
    city = build(SynthConfig(households=households, seed=1))
    generated = time.perf_counter() - start
    start = time.perf_counter()
    write(city, Path(tempfile.mkdtemp(prefix="entas-synth-bench-")))
    written = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    members = city.population.n_members
    print(f"synthetic city: {households:,} households, {members:,} members")
    print(f"floor (draw and sort {args.members:,} normals): {floor:8.2f} s")
    print(
        f"generate (model, calibration, survey, report): {generated:8.2f} s = {generated / floor:.0f}x floor "
        f"(target: well under 60 s)"
    )
    print(f"write CSV files:                               {written:8.2f} s")
    print(f"peak memory: {peak:,.0f} MB (target < 2,048 MB)")
    del city
    # End to end as an operator runs it: the `entas synth` command in a fresh process (start-up,
    # generation with the survey, the panel and the report, every file with the truth files and the
    # manifest), timed from outside.
    out = Path(tempfile.mkdtemp(prefix="entas-synth-command-"))
    command = [
        str(Path(sys.executable).with_name("entas")),
        "synth",
        "--households",
        str(households),
        "--out",
        str(out),
    ]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    end_to_end = time.perf_counter() - start
    manifest = json.loads((out / "manifest.json").read_text())
    print(f"`entas synth --households {households}` end to end:   {end_to_end:8.2f} s ({len(manifest['files'])} files)")
    report("synthetic city: generate + write", generated + written, "s", floor=floor, target="well under 60 s")
    report(
        "synthetic city: the entas synth command end to end",
        end_to_end,
        "s",
        floor=floor,
        target="≤ 30 s at 1,000,000 members",
    )
    report("synthetic city peak memory", peak, "MB", target="< 2,048 MB")


if __name__ == "__main__":
    main()
