"""Without the optional spark extra, the Spark commands say what to install; what needs no Spark
(the model's terms) is checked here, the Spark results in tests/spark (make spark-test)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from entas.core import spark
from entas.targeting import spark as targeting_spark


@pytest.mark.django_db
def test_the_spark_command_says_what_to_install_without_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spark, "available", lambda: False)
    with pytest.raises(CommandError, match=r"requirements-spark\.txt"):
        call_command("spark", "score", "--parquet", str(tmp_path), "--out", str(tmp_path / "s"))


def test_only_a_linear_model_scores_on_spark() -> None:
    wls = SimpleNamespace(
        kind="wls",
        version=1,
        design={"numeric": ["log_size"], "levels": {}},
        coefficients={
            "intercept": 13.0,
            "log_size": -0.3,
        },
    )
    assert targeting_spark.model_terms(wls) == (wls.design, {"intercept": 13.0, "log_size": -0.3})
    gbm = SimpleNamespace(kind="gbm", version=2, design={}, coefficients=None)
    with pytest.raises(ValueError, match="only WLS"):
        targeting_spark.model_terms(gbm)
