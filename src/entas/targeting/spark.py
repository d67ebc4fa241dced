"""PMT scoring and desil ranking on Spark, over the registry's partitioned Parquet export
(``entas export parquet``: one row per member, the household's cells repeated, partitioned by
kabupaten/kota and kecamatan): the path from a city's database to a nation's registry.

The model is the one entas fitted (:class:`~entas.targeting.models.PmtModel`, WLS): its design (the
kept variables and category levels) and its coefficients are applied as they are stored, so a score
computed here is the score :func:`entas.targeting.services.score_registry` computes in the database
(up to the order of floating-point sums). The features are :func:`entas.targeting.pmt.features`,
written as Spark expressions over the export's columns, and the desil is
:func:`entas.targeting.pmt.desil` (people-weighted, ties broken by household id) computed by a range
partitioned sort with a prefix sum per partition, so no step collects a nation on one machine.

Nothing here imports pyspark at module level: the optional extra is needed only to call it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from . import pmt

# Export columns of the household read as numbers (text in the import format).
NUMERIC_HOUSEHOLD = ("floor_area_m2", "cattle", "goats", "desil_city", "desil_national")


def read_export(spark: Any, folder: str) -> Any:
    """The partitioned export as one DataFrame (partition columns ``kabupaten`` and ``kecamatan`` as
    text: Spark would otherwise read ``64.71`` as a number)."""
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
    return spark.read.option("basePath", folder).parquet(folder)


def _flag(column: str) -> Any:
    """A yes/no cell of the import format ("1"/"0", "" when not recorded) as true/false (NULL is no)."""
    from pyspark.sql import functions as F

    return F.coalesce(F.col(column) == F.lit("1"), F.lit(False))


def _text(column: str) -> Any:
    from pyspark.sql import functions as F

    return F.coalesce(F.col(column), F.lit(""))


def age(birth_date: Any, today: dt.date) -> Any:
    """Completed years on ``today`` (as :func:`entas.targeting.data.ages`)."""
    from pyspark.sql import functions as F

    born = F.to_date(birth_date)
    before_birthday = (F.month(born) > today.month) | (
        (F.month(born) == today.month) & (F.dayofmonth(born) > today.day)
    )
    return (F.lit(today.year) - F.year(born) - before_birthday.cast("int")).cast("double")


def members(rows: Any, today: dt.date) -> Any:
    """One row per member with the columns the PMT and the indicators read, typed."""
    from pyspark.sql import functions as F

    severe = F.lit(False)
    for item in pmt.DIFFICULTY:
        severe = severe | F.coalesce(F.col(item).isin("3", "4"), F.lit(False))
    return rows.select(
        "household_id",
        "member_id",
        age(F.col("birth_date"), today).alias("age"),
        (F.col("sex") == F.lit("2")).alias("female"),
        (F.col("relationship") == F.lit("1")).alias("head"),
        F.when(F.col("diploma").isNull() | (F.col("diploma") == F.lit("")), F.lit(0.0))
        .otherwise(F.col("diploma").cast("double"))
        .alias("diploma"),
        _flag("worked").alias("working"),
        severe.alias("disabled"),
        (F.col("school_participation") == F.lit("1")).alias("in_school"),
        _flag("pregnant").alias("pregnant"),
        (~F.coalesce(F.col("chronic_illness"), F.lit("")).isin("", "0")).alias("chronic_illness"),
        (F.col("health_insurance") == F.lit("1")).alias("pbi"),
    )


def households(rows: Any) -> Any:
    """One row per household with its cells typed (the first member row of each: the household's
    cells are repeated on every member's row)."""
    from pyspark.sql import functions as F

    cells = [
        "kabupaten",
        "kecamatan",
        "kelurahan_code",
        *(c for c in pmt.CATEGORICAL if c != "kecamatan"),
        *pmt.BOOLEAN,
        *NUMERIC_HOUSEHOLD,
        "prog_pkh",
        "prog_bpnt",
    ]
    first = rows.groupBy("household_id").agg(*(F.first(c, ignorenulls=False).alias(c) for c in cells))
    return first.select(
        "household_id",
        "kabupaten",
        "kecamatan",
        F.col("kelurahan_code").alias("kelurahan"),
        *(_text(c).alias(c) for c in pmt.CATEGORICAL if c != "kecamatan"),
        *(_flag(c).alias(c) for c in pmt.BOOLEAN),
        *(F.when(F.col(c) == F.lit(""), None).otherwise(F.col(c)).cast("double").alias(c) for c in NUMERIC_HOUSEHOLD),
        (_text("prog_pkh") != F.lit("")).alias("receives_pkh"),
        (_text("prog_bpnt") != F.lit("")).alias("receives_bpnt"),
    )


def features(rows: Any, today: dt.date) -> Any:
    """One row per household: ``household_id``, ``kelurahan``, ``size`` and the candidate variables of
    :func:`entas.targeting.pmt.features` under the same names (categories as ``cat:<name>``)."""
    from pyspark.sql import functions as F

    m = members(rows, today)
    h = households(rows)
    per = m.groupBy("household_id").agg(
        F.count(F.lit(1)).cast("double").alias("size"),
        F.sum((F.col("age") < 15).cast("double")).alias("children"),
        F.sum((F.col("age") >= 65).cast("double")).alias("elderly"),
        F.sum(F.col("working").cast("double")).alias("working"),
        F.max(F.col("disabled").cast("double")).alias("any_disability"),
        # The head's traits; of two heads, the later member's (numpy's assignment keeps the last).
        F.max_by(F.when(F.col("head"), F.col("age")), F.when(F.col("head"), F.col("member_id"))).alias("head_age"),
        F.max_by(
            F.when(F.col("head"), F.col("female").cast("double")), F.when(F.col("head"), F.col("member_id"))
        ).alias("head_female"),
        F.max_by(F.when(F.col("head"), F.col("diploma")), F.when(F.col("head"), F.col("member_id"))).alias(
            "head_diploma"
        ),
    )
    # The median floor area of every household fills in a missing or non-positive one (numpy's nanmedian).
    median = h.agg(F.percentile(F.col("floor_area_m2"), F.lit(0.5)).alias("median"))
    joined = h.join(per, "household_id", "left").crossJoin(F.broadcast(median))
    size = F.greatest(F.coalesce(F.col("size"), F.lit(0.0)), F.lit(1.0))
    floor = F.when(
        F.col("floor_area_m2").isNotNull() & ~F.isnan("floor_area_m2") & (F.col("floor_area_m2") > 0),
        F.col("floor_area_m2"),
    ).otherwise(F.col("median"))
    head_age = F.coalesce(F.col("head_age"), F.lit(0.0))
    out = joined.select(
        "household_id",
        "kabupaten",
        F.col("kecamatan").alias("cat:kecamatan"),
        "kelurahan",
        size.alias("size"),
        F.log(size).alias("log_size"),
        (F.coalesce(F.col("children"), F.lit(0.0)) / size).alias("share_children"),
        (F.coalesce(F.col("elderly"), F.lit(0.0)) / size).alias("share_elderly"),
        F.coalesce(F.col("head_female"), F.lit(0.0)).alias("head_female"),
        head_age.alias("head_age"),
        (head_age * head_age / 100).alias("head_age_sq"),
        F.coalesce(F.col("head_diploma"), F.lit(0.0)).alias("head_diploma"),
        (F.coalesce(F.col("working"), F.lit(0.0)) / size).alias("share_working"),
        F.coalesce(F.col("any_disability"), F.lit(0.0)).alias("any_disability"),
        F.log(floor / size).alias("log_floor_per_person"),
        *(F.col(c).cast("double").alias(c) for c in pmt.BOOLEAN),
        F.log1p(F.coalesce(F.col("cattle"), F.lit(0.0)) + F.coalesce(F.col("goats"), F.lit(0.0))).alias("livestock"),
        *(F.col(c).alias(f"cat:{c}") for c in pmt.CATEGORICAL if c != "kecamatan"),
    )
    return out.withColumn("household_id", F.col("household_id").cast("long"))


def linear_predictor(design: Mapping[str, Any], coefficients: Mapping[str, float]) -> Any:
    """The WLS model's prediction (log consumption per capita) as one Spark expression: the intercept,
    each kept numeric variable times its coefficient, and each category level's coefficient where the
    household is of that level (:meth:`entas.targeting.pmt.Design.matrix` times the coefficients)."""
    from pyspark.sql import functions as F

    terms = pmt.Design(list(design["numeric"]), {k: list(v) for k, v in design["levels"].items()})
    expression = F.lit(float(coefficients["intercept"]))
    for name in terms.numeric:
        expression = expression + F.col(f"`{name}`") * F.lit(float(coefficients[name]))
    for variable, levels in terms.levels.items():
        for level in levels:
            beta = float(coefficients[f"{variable}={level}"])
            expression = expression + F.when(F.col(f"`cat:{variable}`") == F.lit(level), F.lit(beta)).otherwise(0.0)
    return expression


def desil(scored: Any, *, score: str = "score", weight: str = "size", partitions: int | None = None) -> Any:
    """``scored`` with ``desil`` 1–10: :func:`entas.targeting.pmt.desil` (people-weighted, ties broken by
    household id), without collecting the rows: a range-partitioned sort by (score, id), each
    partition's total people (a few numbers, collected), and a running sum within each partition
    offset by the partitions before it."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    spark = scored.sparkSession
    n = partitions or int(spark.conf.get("spark.sql.shuffle.partitions") or 8)
    ordered = scored.repartitionByRange(n, F.col(score), F.col("household_id")).withColumn(
        "_part", F.spark_partition_id()
    )
    ordered = ordered.localCheckpoint()  # the partition ids are fixed from here on
    totals = {
        r["_part"]: float(r["people"]) for r in ordered.groupBy("_part").agg(F.sum(weight).alias("people")).collect()
    }
    offsets, running = {}, 0.0
    for part in sorted(totals):
        offsets[part] = running
        running += totals[part]
    offset = F.create_map(*(x for part, before in offsets.items() for x in (F.lit(part), F.lit(before))))
    window = (
        Window.partitionBy("_part")
        .orderBy(F.col(score), F.col("household_id"))
        .rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )
    before = (F.sum(weight).over(window) - F.col(weight) + offset[F.col("_part")]) / F.lit(running or 1.0)
    ranked = ordered.withColumn(
        "desil", F.least(F.lit(10), F.lit(1) + F.floor(before * 10 + F.lit(1e-12)).cast("int")).cast("int")
    )
    return ranked.drop("_part")


def score(rows: Any, *, design: Mapping[str, Any], coefficients: Mapping[str, float], today: dt.date) -> Any:
    """Every household of the export scored: ``household_id``, ``kabupaten``, ``kelurahan``, ``size``,
    ``score`` (predicted log consumption per capita), ``predicted_consumption`` (Rp, rounded) and
    ``desil`` (city-wide ranking when the export is one city; over a national export, national)."""
    from pyspark.sql import functions as F

    data = features(rows, today)
    scored = data.select(
        "household_id", "kabupaten", "kelurahan", "size", linear_predictor(design, coefficients).alias("score")
    )
    scored = scored.withColumn("predicted_consumption", F.rint(F.exp("score")).cast("long"))
    return desil(scored)


def model_terms(model: Any) -> tuple[dict[str, Any], dict[str, float]]:
    """(design, coefficients) of a stored WLS :class:`~entas.targeting.models.PmtModel`; a gradient-
    boosting model has no coefficients to apply here (its trees run in Python: score it in the
    database)."""
    if model.kind != "wls" or not model.coefficients:
        raise ValueError(f"PMT v{model.version} is a {model.kind} model: only WLS models score on Spark")
    return dict(model.design), {str(k): float(v) for k, v in model.coefficients.items()}


def desil_people(scored: Any) -> list[int]:
    """People in each desil 1–10 (the summary score_registry reports)."""
    from pyspark.sql import functions as F

    counts = {r["desil"]: r["people"] for r in scored.groupBy("desil").agg(F.sum("size").alias("people")).collect()}
    return [round(counts.get(d, 0)) for d in range(1, 11)]
