"""The record-linkage model over registry members, on splink.

Nothing here touches Django: the functions take a table of members (:func:`member_frame` builds one
from plain records) and a splink database API (``splink.DuckDBAPI()`` by default, ``SparkAPI`` for a
province or national registry), so the same model runs wherever splink runs. Every column the
comparisons need is computed in Python beforehand, and the comparisons use splink's
dialect-aware library plus ``substr``/equality, so no SQL here is specific to DuckDB.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from entas.registry.names import name_key, sound_key

if TYPE_CHECKING:
    import pyarrow as pa

logger = logging.getLogger(__name__)

# Columns of the linkage table, in order.
COLUMNS = [
    "unique_id",
    "nik",
    "nik_prefix",
    "nik_rs",
    "name",
    "first_name",
    "first_sound",
    "last_sound",
    "birth_date",
    "birth_date_swapped",
    "birth_year",
    "sex",
    "kelurahan",
    "rt_rw",
    "address",
    "household_id",
    "co_members",
]


def member_frame(records: Iterable[Mapping[str, Any]]) -> pa.Table:
    """The linkage table from member records.

    Each record has ``id``, ``nik``, ``name``, ``sex``, ``birth_date`` (ISO string or date),
    ``kelurahan``, ``rt``, ``rw``, ``address`` and ``household_id``. The names of the other members
    of the same household become ``co_members`` (their normalised first names), so two records of
    one person entered with their family agree on "members in common".
    """
    first_names: dict[Any, list[tuple[Any, str]]] = {}
    out: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    for r in records:  # one pass over a stream: no second copy of a million records
        key = name_key(str(r["name"] or ""))
        words = key.split()
        first = words[0] if words else ""
        first_names.setdefault(r["household_id"], []).append((r["id"], first))
        dob = str(r["birth_date"] or "")[:10]
        swapped = None
        if len(dob) == 10 and int(dob[8:10]) <= 12 and dob[5:7] != dob[8:10]:
            swapped = f"{dob[:4]}-{dob[8:10]}-{dob[5:7]}"
        nik = str(r["nik"] or "")
        rt, rw = str(r.get("rt") or ""), str(r.get("rw") or "")
        out["unique_id"].append(int(r["id"]))
        out["nik"].append(nik or None)
        out["nik_prefix"].append(nik[:12] if len(nik) == 16 else None)
        out["nik_rs"].append(nik[:6] + nik[12:] if len(nik) == 16 else None)
        out["name"].append(key or None)
        out["first_name"].append(first or None)
        out["first_sound"].append(sound_key(first) or None)
        out["last_sound"].append(sound_key(words[-1]) if len(words) > 1 else None)
        out["birth_date"].append(dob or None)
        out["birth_date_swapped"].append(swapped)
        out["birth_year"].append(dob[:4] or None)
        out["sex"].append(str(r["sex"] or "") or None)
        out["kelurahan"].append(str(r["kelurahan"] or "") or None)
        out["rt_rw"].append(f"{r['kelurahan']}/{rt}/{rw}" if rt and rw else None)
        out["address"].append(" ".join(str(r.get("address") or "").lower().split()) or None)
        out["household_id"].append(int(r["household_id"]))
    for mid, hid in zip(out["unique_id"], out["household_id"], strict=True):
        others = sorted({f for other, f in first_names[hid] if other != mid and f})
        out["co_members"].append(others)
    import pyarrow as pa  # here, not at the top: the URL configuration reaches this module (start-up)

    schema = pa.schema(
        [(c, pa.int64()) for c in ("unique_id",)]
        + [(c, pa.string()) for c in COLUMNS[1:15]]
        + [("household_id", pa.int64()), ("co_members", pa.list_(pa.string()))]
    )
    return pa.table(out, schema=schema)


def comparisons() -> list[Any]:
    """Name, birth date, sex, NIK, address and household members in common, each with its levels."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_description="Normalised name (titles and bin/binti removed)",
        comparison_levels=[
            cll.NullLevel("name"),
            cll.ExactMatchLevel("name", term_frequency_adjustments=True).configure(m_probability=0.5),
            # One keying error in a long name is strong evidence; in a short one ("Yudi"/"Budi", "Sari"/
            # "Sri") it is how different people's names differ. Separate levels let EM weigh each.
            cll.And(
                cll.DamerauLevenshteinLevel("name", 1),
                cll.CustomLevel("length(name_l) >= 8", base_dialect_str="duckdb"),
            ).configure(label_for_charts="One edit, long name", m_probability=0.3),
            cll.DamerauLevenshteinLevel("name", 1).configure(
                label_for_charts="One edit, short name", m_probability=0.05
            ),
            cll.JaroWinklerLevel("name", 0.92).configure(m_probability=0.1),
            cll.JaroWinklerLevel("name", 0.85).configure(m_probability=0.03),
            cll.ElseLevel(),
        ],
    )
    birth_date = cl.CustomComparison(
        output_column_name="birth_date",
        comparison_description="Birth date",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            cll.ExactMatchLevel("birth_date").configure(m_probability=0.6),
            cll.CustomLevel("birth_date_l = birth_date_swapped_r", label_for_charts="Day and month swapped").configure(
                m_probability=0.25
            ),
            cll.AbsoluteDateDifferenceLevel("birth_date", input_is_string=True, threshold=1, metric="year").configure(
                m_probability=0.1
            ),
            cll.ElseLevel(),
        ],
    )
    nik = cl.CustomComparison(
        output_column_name="nik",
        comparison_description="NIK",
        comparison_levels=[
            cll.NullLevel("nik"),
            # The NIK's middle six digits are the birth date (day + 40 for women), compared on their
            # own above; counting them twice would make everyone born on one day in one kecamatan
            # look alike. So the NIK is compared without them: region code and serial ("nik_rs").
            # The registry holds each NIK once, so equal numbers only appear across files.
            cll.ExactMatchLevel("nik").configure(
                label_for_charts="Same NIK",
                m_probability=0.5,
                u_probability=1e-7,
                fix_m_probability=True,
                fix_u_probability=True,
            ),
            cll.LevenshteinLevel("nik_rs", 1).configure(label_for_charts="Region and serial one digit off"),
            cll.DamerauLevenshteinLevel("nik_rs", 1).configure(label_for_charts="Two digits swapped"),
            cll.ElseLevel(),
        ],
    )
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_description="Address, RT/RW and kelurahan",
        comparison_levels=[
            cll.NullLevel("kelurahan"),
            cll.ExactMatchLevel("rt_rw"),
            cll.JaroWinklerLevel("address", 0.9),
            cll.ExactMatchLevel("kelurahan"),
            cll.ElseLevel(),
        ],
    )
    return [
        name,
        birth_date,
        cl.ExactMatch("sex"),
        nik,
        address,
        cl.ArrayIntersectAtSizes("co_members", [2, 1]),
    ]


def blocking_rules() -> list[Any]:
    """Candidate pairs: records that agree on one of these are compared, the rest are not.

    Each rule is selective enough to stay near-linear at a million members: the NIK's region and
    birth-date part; the birth date and the first name's sound; the name sounds and birth year
    (catches a swapped birth date); the birth date and the kelurahan (catches a changed first name).
    """
    from splink import block_on

    return [
        block_on("nik_prefix"),
        block_on("birth_date", "first_sound"),
        block_on("first_sound", "last_sound", "birth_year"),
        block_on("birth_date", "kelurahan"),
        block_on("birth_date_swapped", "first_sound"),
    ]


def settings() -> Any:
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
    )


def _default_db_api() -> Any:
    """DuckDB in memory, bounded: beyond ``ENTAS_DEDUP_MEMORY_LIMIT`` (default 4GB) it spills to a
    temporary folder instead of growing, so a million members fit an 8 GB machine with the rest."""
    import os
    import shutil
    import tempfile
    import weakref

    import duckdb
    from splink import DuckDBAPI

    spill = tempfile.mkdtemp(prefix="entas-dedup-")
    con = duckdb.connect(
        config={
            "memory_limit": os.environ.get("ENTAS_DEDUP_MEMORY_LIMIT", "4GB"),
            "temp_directory": spill,
            "preserve_insertion_order": False,
        }
    )
    api = DuckDBAPI(con)
    weakref.finalize(api, shutil.rmtree, spill, True)
    return api


# The database engines splink runs the model on: DuckDB in this process (a city), or Spark (a province
# or a nation: the optional ``spark`` extra, local mode on this machine or a cluster; entas.core.spark).
BACKENDS = ("duckdb", "spark")


def default_backend() -> str:
    """The backend of runs and training when none is named: ``ENTAS_DEDUP_BACKEND`` (default duckdb)."""
    import os

    from django.conf import settings as django_settings

    backend = getattr(django_settings, "ENTAS_DEDUP_BACKEND", None) or os.environ.get("ENTAS_DEDUP_BACKEND", "")
    return backend or "duckdb"


def database_api(backend: str | None = None) -> Any:
    """splink's database API for ``backend`` (``duckdb`` or ``spark``; None: :func:`default_backend`).

    On Spark, the process's session (:func:`entas.core.spark.session`, with splink's similarity
    functions on its class path) and splink's defaults otherwise: intermediate tables are written to
    Parquet in the session's checkpoint folder, which cuts their lineage."""
    backend = backend or default_backend()
    if backend == "duckdb":
        return _default_db_api()
    if backend == "spark":
        from entas.core import spark

        session = spark.session()  # first: without the extra it says what to install (splink's module needs pyspark)
        from splink.backends.spark import SparkAPI

        partitions = int(session.conf.get("spark.sql.shuffle.partitions") or 8)
        return SparkAPI(spark_session=session, num_partitions_on_repartition=partitions)
    raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")


# The deterministic rule the prior is estimated from, and the share of duplicates it is taken to catch.
PRIOR_RULE = "l.birth_date = r.birth_date and levenshtein(l.name, r.name) <= 1"
PRIOR_RECALL = 0.7

# The fewest pairs beyond chance (see Evidence) from which EM learns the m probabilities; below it they
# come from the default model. Measured on synthetic cities (docs/deduplication.md): EM on a city with
# no duplicates collapses (its "same person" class is empty: m → 0, the prior → 0, splink raises), and
# on a handful it learns no better than the default model.
MIN_LEARNABLE_PAIRS = 50


@dataclass
class Evidence:
    """How many duplicates a city holds for EM to learn from: the pairs the prior's rule finds (the same
    birth date, names within one edit), against how many of them chance alone would give among this
    many people — the city's own u probabilities of the two agreements, times the number of pairs.
    (A city with no duplicate at all still has namesakes born on one day: at 90,000 members about 60.)"""

    members: int
    likely_pairs: int
    by_chance: float

    @property
    def beyond_chance(self) -> float:
        return self.likely_pairs - self.by_chance

    @property
    def learnable(self) -> bool:
        return self.beyond_chance >= MIN_LEARNABLE_PAIRS

    def as_dict(self) -> dict[str, Any]:
        return {"likely_pairs": self.likely_pairs, "by_chance": round(self.by_chance, 1)}


def _pairs(members: int) -> float:
    return members * (members - 1) / 2


def _levels(model: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """The non-null levels of a splink model, by comparison and label."""
    return {
        c["output_column_name"]: {
            lv["label_for_charts"]: lv for lv in c["comparison_levels"] if not lv.get("is_null_level")
        }
        for c in model["comparisons"]
    }


def evidence(model: dict[str, Any], members: int) -> Evidence:
    """The :class:`Evidence` of a model whose prior and u probabilities were estimated on ``members``."""
    total = _pairs(members)
    likely = round(model["probability_two_random_records_match"] * total * PRIOR_RECALL)
    levels = _levels(model)
    u_date = levels["birth_date"]["Exact match on birth_date"].get("u_probability") or 0.0
    u_name = sum(
        levels["name"][label].get("u_probability") or 0.0
        for label in ("Exact match on name", "One edit, long name", "One edit, short name")
    )
    return Evidence(members, likely, total * u_date * u_name)


def floor_prior(model: dict[str, Any], members: int) -> dict[str, Any]:
    """At least one duplicate pair in the prior: the rule finding none (a city without duplicates)
    leaves splink's estimate at 0, whose log-odds is −∞ ("math domain error")."""
    least = 1 / (PRIOR_RECALL * max(_pairs(members), 1))
    prior = model.get("probability_two_random_records_match") or 0.0
    model["probability_two_random_records_match"] = min(max(prior, least), 0.5)
    return model


def apply_default(model: dict[str, Any], default: Mapping[str, Any], *, u: bool = False) -> dict[str, Any]:
    """``model`` with the m probabilities (and, with ``u``, the u probabilities) of the default model
    (:mod:`entas.dedup.default_model`), level by level."""
    levels = _levels(model)
    for name, shipped in default["comparisons"].items():
        for label, values in shipped.items():
            level = levels[name][label]
            level["m_probability"] = values["m_probability"]
            if u and values.get("u_probability") is not None:
                level["u_probability"] = values["u_probability"]
    return model


@dataclass
class Trained:
    """A trained linker, its model as splink's JSON settings dictionary, and how it was trained:
    ``summary["m_source"]`` is ``"em"`` (learnt from this city) or ``"default"`` (the default model's),
    with ``summary["reason"]`` saying why (``few_duplicates``, ``em_failed``, ``chosen``)."""

    linker: Any
    model: dict[str, Any]
    summary: dict[str, Any] = field(default_factory=dict)


def _dialect(db_api: Any) -> str:
    return str(db_api.sql_dialect.sql_dialect_str)


def for_dialect(model: dict[str, Any], dialect: str) -> dict[str, Any]:
    """``model`` (splink's JSON of a trained model) for the SQL dialect of another backend.

    A saved model holds each level's SQL as written for the backend it was trained on: DuckDB quotes
    identifiers with double quotes, which Spark reads as text ("name_l" = "name_r" is always false
    there), and names its functions differently (``jaro_winkler_similarity`` / ``jaro_winkler``). The
    parameters (m, u, term frequencies, the prior) mean the same on every backend, so the SQL is built
    afresh for ``dialect`` from this module's comparisons and blocking rules, and every parameter is
    kept. A model whose comparisons differ from this module's (another version of entas) is refused:
    its levels would not line up."""
    if model.get("sql_dialect") == dialect:
        return model
    fresh = settings().create_settings_dict(dialect)
    out = {**model, "sql_dialect": dialect}
    out["blocking_rules_to_generate_predictions"] = fresh["blocking_rules_to_generate_predictions"]
    target = {c["output_column_name"]: c for c in fresh["comparisons"]}
    comparisons = []
    for comparison in model["comparisons"]:
        built = target.get(comparison["output_column_name"])
        levels = comparison["comparison_levels"]
        if built is None or len(built["comparison_levels"]) != len(levels):
            raise ValueError(
                f"the model's comparison {comparison['output_column_name']!r} does not match this version's"
            )
        comparisons.append(
            {
                **comparison,
                "comparison_levels": [
                    {**level, "sql_condition": new["sql_condition"]}
                    for level, new in zip(levels, built["comparison_levels"], strict=True)
                ],
            }
        )
    out["comparisons"] = comparisons
    return out


def make_linker(table: Any, model: dict[str, Any] | None = None, *, db_api: Any = None) -> Any:
    """A splink linker over ``table`` (the result of :func:`member_frame`), with ``model``'s trained
    parameters when given (on any backend: :func:`for_dialect`), else the untrained settings."""
    from splink import Linker

    db_api = db_api or _default_db_api()
    if model is not None:
        model = for_dialect(model, _dialect(db_api))
    df = db_api.register(table)
    # splink warns, at every EM session, that the "same NIK" level is never observed — by design
    # (the registry holds each NIK once). Progress is reported through ``log``, so only errors pass.
    return Linker(df, model if model is not None else settings(), log_level=logging.ERROR)


def _estimate_prior(linker: Any) -> None:
    linker.training.estimate_probability_two_random_records_match([PRIOR_RULE], recall=PRIOR_RECALL)


def train(
    table: Any,
    *,
    db_api: Any = None,
    max_pairs: float = 2e6,
    seed: int = 1,
    log: Callable[[str], None] | None = None,
    default: Mapping[str, Any] | None = None,
) -> Trained:
    """Train the model without labels: u by random sampling, m by expectation-maximisation in two
    sessions (blocked on birth date, then on name sounds) so every comparison is estimated.

    When the city holds too few duplicates for EM to learn from (:class:`Evidence`), or EM fails
    anyway, the m probabilities are the default model's (``default``, else the one shipped with
    entas), with this city's u probabilities and prior: what a city's records look like by chance is
    measured on the city, how a duplicate differs comes from the synthetic city."""
    from splink import block_on
    from splink.internals.exceptions import EMTrainingException

    db_api = db_api or _default_db_api()
    linker = make_linker(table, db_api=db_api)
    say = log or (lambda _m: None)
    say(_("estimating the prior match rate"))
    _estimate_prior(linker)
    say(_("estimating u by random sampling"))
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    untrained = linker.misc.save_model_to_json()
    found = evidence(untrained, table.num_rows)
    summary: dict[str, Any] = {"m_source": "em", **found.as_dict()}
    model: dict[str, Any] | None = None
    if not found.learnable:
        summary["reason"] = "few_duplicates"
    else:
        # Session one leaves the birth date out (it is the block) and trains name, sex, NIK, address
        # and members in common; session two leaves name and sex out and trains the birth date and NIK.
        # Blocks that hold mostly the same people are what let EM find the "same person" class
        # (measured on the synthetic city: a block on name sounds alone holds too few duplicates for EM
        # to find them, and at a million members a block on the first-name sound holds billions of pairs).
        try:
            say(_("expectation-maximisation, blocked on birth date"))
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on("birth_date"), estimate_without_term_frequencies=True
            )
            say(_("expectation-maximisation, blocked on near-identical names"))
            linker.training.estimate_parameters_using_expectation_maximisation(
                "l.first_sound = r.first_sound and l.last_sound = r.last_sound and l.sex = r.sex "
                "and levenshtein(l.name, r.name) <= 1",
                estimate_without_term_frequencies=True,
            )
            model = linker.misc.save_model_to_json()
        except (ValueError, ArithmeticError, EMTrainingException) as exc:
            # EM's "same person" class emptied (m or the block's match share underflowed to 0).
            logger.warning("EM failed on %d members, using the default model's m: %s", table.num_rows, exc)
            summary["reason"] = "em_failed"
    if model is None:
        from . import default_model

        shipped = default or default_model.load()
        reasons = {
            "few_duplicates": _("too few duplicates to learn from"),
            "em_failed": _("expectation-maximisation did not converge"),
        }
        say(
            _("m probabilities from the default model v%(version)s (%(reason)s)")
            % {"version": shipped["version"], "reason": reasons.get(summary["reason"], summary["reason"])}
        )
        model = apply_default(untrained, shipped)
        summary |= {"m_source": "default", "default_model": shipped["version"]}
    model = floor_prior(floor_m_probabilities(model), table.num_rows)
    return Trained(make_linker(table, model, db_api=db_api), model, summary)


def use_default(
    table: Any,
    *,
    db_api: Any = None,
    default: Mapping[str, Any] | None = None,
    log: Callable[[str], None] | None = None,
) -> Trained:
    """The default model as shipped (its m and u probabilities) with this city's prior: for a registry
    too small to learn from (a few hundred members hold too few pairs even for u)."""
    from . import default_model

    shipped = default or default_model.load()
    db_api = db_api or _default_db_api()
    say = log or (lambda _m: None)
    model: dict[str, Any] = settings().create_settings_dict(_dialect(db_api))
    if table.num_rows > 1:
        say(_("estimating the prior match rate"))
        linker = make_linker(table, db_api=db_api)
        _estimate_prior(linker)
        model = linker.misc.save_model_to_json()
    model = floor_prior(apply_default(model, shipped, u=True), table.num_rows)
    summary = {"m_source": "default", "reason": "chosen", "default_model": shipped["version"]}
    return Trained(make_linker(table, model, db_api=db_api), model, summary)


# The smallest m probability a level keeps after training (see floor_m_probabilities).
M_FLOOR = 0.01


def floor_m_probabilities(model: dict[str, Any], floor: float = M_FLOOR) -> dict[str, Any]:
    """Raise every trained m probability below ``floor`` to it.

    EM gives m ≈ 0 to a level it never saw among the matches of the training data — a sex keying
    error, a duplicate entered with its family (members in common), a NIK wholly retyped — and a
    weight of −30 to −100 that no other evidence can outweigh. Real duplicates do show them, so no
    level may rule a pair out on its own: at the floor, the strongest penalty is about −6."""
    for comparison in model.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            if level.get("is_null_level") or level.get("fix_m_probability"):
                continue
            m = level.get("m_probability")
            if m is None or not m >= floor:  # NaN too: EM divided 0 by 0
                level["m_probability"] = floor
    return model


def predict(linker: Any, *, threshold: float) -> Any:
    """Candidate pairs with match probability ≥ ``threshold`` (a splink dataframe)."""
    return linker.inference.predict(threshold_match_probability=threshold)


def cluster(linker: Any, pairs: Any, *, threshold: float) -> Any:
    """Clusters of records linked, directly or through others, by pairs at or above ``threshold``."""
    return linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, threshold_match_probability=threshold)
