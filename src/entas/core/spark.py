"""A Spark session for the work that outgrows one database: record linkage and registry analytics of
a province or a nation (docs/scaling.md, "From a city to a nation: Spark").

Spark is an optional extra (``pip install -r requirements-spark.txt``, ``make spark-test``): nothing
imports pyspark until :func:`session` is called, and :func:`available` says whether it can be.

By default the session runs in local mode on this machine with at most two cores
(``ENTAS_SPARK_MASTER``, default ``local[2]``): the same code runs on a cluster when the master names
one (``spark://host:7077``, ``yarn``, ``k8s://…``). The similarity functions of splink's Spark
backend (Jaro–Winkler, Damerau–Levenshtein: a jar shipped inside splink) are put on the session's
class path, so the linkage model runs unchanged.

Settings (environment):

* ``ENTAS_SPARK_MASTER`` — default ``local[2]``;
* ``ENTAS_SPARK_DRIVER_MEMORY`` — default ``2g`` (local mode: the executors live in the driver);
* ``ENTAS_SPARK_PARTITIONS`` — shuffle partitions, default ``8`` (Spark's 200 suit a cluster, not a
  city on two cores);
* ``ENTAS_SPARK_LOCAL_DIR`` — where Spark spills and splink writes its intermediate tables (default: a
  temporary folder removed when the process ends).
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import tempfile
from typing import Any

_SESSION: Any = None


def available() -> bool:
    """Whether pyspark is installed (the ``spark`` extra) and a Java runtime is on the path."""
    return importlib.util.find_spec("pyspark") is not None and shutil.which("java") is not None


def _similarity_jar() -> str | None:
    """splink's jar of similarity functions for the installed Spark's major version, if splink has one."""
    try:
        from splink.backends.spark import similarity_jar_location
    except ImportError:  # splink without its Spark backend
        return None
    return str(similarity_jar_location())


def session() -> Any:
    """The process's Spark session (created on first use, then reused), configured as described above."""
    global _SESSION
    if _SESSION is not None:
        return _SESSION
    if not available():
        raise RuntimeError(
            "Spark is not installed: install the optional extra (pip install -c constraints.txt "
            "-r requirements-spark.txt, or make spark-test) and a Java runtime (17 or newer)."
        )
    from pyspark.sql import SparkSession

    local = os.environ.get("ENTAS_SPARK_LOCAL_DIR") or tempfile.mkdtemp(prefix="entas-spark-")
    if not os.environ.get("ENTAS_SPARK_LOCAL_DIR"):
        atexit.register(shutil.rmtree, local, True)
    builder = (
        SparkSession.builder.master(os.environ.get("ENTAS_SPARK_MASTER", "local[2]"))
        .appName("entas")
        .config("spark.driver.memory", os.environ.get("ENTAS_SPARK_DRIVER_MEMORY", "2g"))
        .config("spark.sql.shuffle.partitions", os.environ.get("ENTAS_SPARK_PARTITIONS", "8"))
        .config("spark.default.parallelism", os.environ.get("ENTAS_SPARK_PARTITIONS", "8"))
        .config("spark.local.dir", local)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # Parquet written by DuckDB and pyarrow: read its timestamps as they are.
        .config("spark.sql.parquet.int96RebaseModeInRead", "CORRECTED")
    )
    jar = _similarity_jar()
    if jar:
        builder = builder.config("spark.jars", jar)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(os.path.join(local, "checkpoints"))
    _SESSION = spark
    return spark


def stop() -> None:
    """Stop the process's session (tests and benchmarks: the JVM's memory back to the machine)."""
    global _SESSION
    if _SESSION is not None:
        _SESSION.stop()
        _SESSION = None
