"""The command-line contract: `entas evaluate did|rd|psm … --json` prints one JSON object with the
issue's fields, and a bad file is refused with its line and column."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from entas.evaluation import estimators as est

from .synthetic import discontinuity, panel, selection


def _write(path: Path, columns: dict[str, Any]) -> Path:
    names = list(columns)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        writer.writerows(zip(*(np.asarray(columns[n]).tolist() for n in names), strict=True))
    return path


def _json(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("evaluate", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_did_prints_the_twfe_estimate_with_the_event_study_and_the_robust_one(tmp_path: Path) -> None:
    data = panel(21, units=150, periods=5, cohorts=(2, 3))
    data["household"] = np.char.add("KK", data["unit"].astype(str))
    path = _write(tmp_path / "panel.csv", {k: data[k] for k in ("household", "time", "treat", "y", "cluster")})
    result = _json(
        "did",
        "--file",
        str(path),
        "--unit",
        "household",
        "--time",
        "time",
        "--treat",
        "treat",
        "--outcome",
        "y",
        "--event-study",
    )
    for key in ("effect", "se", "ci_low", "ci_high", "n", "pre_trend_p"):
        assert key in result
    expected = est.twfe(data["y"], data["unit"], data["time"], data["treat"])
    assert result["effect"] == pytest.approx(expected.effect) and result["se"] == pytest.approx(expected.se)
    assert result["n"] == 750 and result["robust"]["label"] == "callaway_santanna"


def test_rd_prints_the_bandwidth_and_the_robust_interval(tmp_path: Path) -> None:
    data = discontinuity(22)
    path = _write(tmp_path / "rd.csv", {"score": data["x"] + 5, "spending": data["y"]})
    result = _json(
        "rd", "--file", str(path), "--running", "score", "--cutoff", "5", "--outcome", "spending", "--bandwidth", "0.4"
    )
    assert result["bandwidth"] == 0.4
    expected = est.rd_local_linear(data["y"], data["x"] + 5, 5.0, bandwidth=0.4)
    assert result["effect"] == pytest.approx(expected.effect) and result["ci_low"] == pytest.approx(expected.ci_low)


@pytest.mark.parametrize("method", ["nn", "ipw"])
def test_psm_prints_the_balance_table(tmp_path: Path, method: str) -> None:
    data = selection(23)
    path = _write(tmp_path / "psm.csv", {"d": data["d"], "y": data["y"], "a": data["x"][:, 0], "b": data["x"][:, 1]})
    result = _json(
        "psm", "--file", str(path), "--treat", "d", "--outcome", "y", "--covariates", "a,b", "--method", method
    )
    assert [row["covariate"] for row in result["balance"]] == ["a", "b"]
    assert {"effect", "se", "ci_low", "ci_high", "n"} <= result.keys()


def test_a_value_that_is_not_a_number_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("unit,time,treat,y\n1,1,0,2.5\n1,2,1,abc\n")
    with pytest.raises(CommandError, match="3"):
        call_command(
            "evaluate",
            "did",
            "--file",
            str(path),
            "--unit",
            "unit",
            "--time",
            "time",
            "--treat",
            "treat",
            "--outcome",
            "y",
            stdout=StringIO(),
        )
    with pytest.raises(CommandError, match="nope"):
        call_command(
            "evaluate",
            "rd",
            "--file",
            str(path),
            "--running",
            "nope",
            "--cutoff",
            "0",
            "--outcome",
            "y",
            stdout=StringIO(),
        )
