"""The synthetic city: households and members with a latent welfare model, calibrated to the
city's published figures. Pure numpy; every draw comes from one seeded generator, in a fixed order,
so the same seed gives the same city on any machine.

The model (docs/synthetic-data.md): each household has a latent wealth w ~ N(0, 1). Its size,
composition, schooling, work, housing, utilities and assets are drawn from distributions that
shift with w, each with its own noise, so they carry real but imperfect information about w. Log
consumption per capita is a + b·(w + area effect) + u, with u independent of everything observed:
a proxy-means test therefore explains only part of it (out-of-sample R² about 0.5, as with Susenas).
The scale and level of log consumption are then set so that the person-weighted Gini and the
headcount at the poverty line equal the city's targets exactly on the generated population.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from entas.measures import fgt, gini

from . import names
from .config import SynthConfig, load_city

AREA_EFFECT = {  # log-consumption shift of a kecamatan (coastal east and west are poorer, the centre richer)
    "64.71.01": -0.12,
    "64.71.02": -0.10,
    "64.71.03": 0.0,
    "64.71.04": 0.03,
    "64.71.05": 0.10,
    "64.71.06": 0.08,
}
HOUSEHOLDS_PER_RT = 220
TAIL_COMPRESSION = 0.3


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _ordered(rng: np.random.Generator, latent: np.ndarray, cuts: list[float], codes: list[str]) -> np.ndarray:
    """An ordered categorical answer: the category whose interval holds latent + noise."""
    draw = latent + rng.normal(0, 1, latent.size)
    return np.asarray(codes, dtype=object)[np.searchsorted(np.asarray(cuts), draw)]


def _choice(rng: np.random.Generator, codes: list[str], p: list[float], n: int) -> np.ndarray:
    prob = np.asarray(p, dtype=float)
    return np.asarray(codes, dtype=object)[rng.choice(len(codes), size=n, p=prob / prob.sum())]


def _serials(keys: np.ndarray) -> np.ndarray:
    """1, 2, 3, … within each key (stable order): unique serial numbers per region and date."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(keys.size), 0))
    serial = np.empty(keys.size, dtype=np.int64)
    serial[order] = np.arange(keys.size) - group_start + 1
    return serial


@dataclass
class Population:
    """Column arrays of households (length H) and members (length M, with ``member_household`` index)."""

    households: dict[str, np.ndarray] = field(default_factory=dict)
    members: dict[str, np.ndarray] = field(default_factory=dict)
    city: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, float] = field(default_factory=dict)

    @property
    def n_households(self) -> int:
        return int(self.households["kk_number"].size)

    @property
    def n_members(self) -> int:
        return int(self.members["nik"].size)


def generate(config: SynthConfig) -> Population:
    city = load_city(config.city)
    rng = np.random.default_rng(config.seed)
    H = config.households
    ref = np.datetime64(config.reference_date)

    # -- where: kecamatan by population share, kelurahan within it, RT blocks ---------------------
    kecamatan = city["kecamatan"]
    shares = np.array([k["population"] for k in kecamatan], dtype=float)
    kec = rng.choice(len(kecamatan), size=H, p=shares / shares.sum())
    kel_codes, kel_names, kel_of_kec = [], [], []
    for i, k in enumerate(kecamatan):
        for kel in k["kelurahan"]:
            kel_codes.append(kel["code"])
            kel_names.append(kel["name"])
            kel_of_kec.append(i)
    kel_of_kec_arr = np.array(kel_of_kec)
    kel = np.empty(H, dtype=np.int64)
    for i in range(len(kecamatan)):
        mine = np.flatnonzero(kec == i)
        options = np.flatnonzero(kel_of_kec_arr == i)
        kel[mine] = options[rng.integers(0, options.size, mine.size)]
    per_kel = np.bincount(kel, minlength=len(kel_codes))
    n_rt = np.maximum(1, np.ceil(per_kel / HOUSEHOLDS_PER_RT)).astype(np.int64)
    rt = 1 + (rng.random(H) * n_rt[kel]).astype(np.int64)
    rw = 1 + (rt - 1) // 4
    kec_code = np.array([k["code"] for k in kecamatan], dtype=object)[kec]
    area = np.array([AREA_EFFECT.get(k["code"], 0.0) for k in kecamatan])[kec]

    # -- latent wealth, household size and composition ------------------------------------------
    w = rng.normal(0, 1, H)
    size = 1 + np.minimum(rng.poisson(np.exp(0.673 - 0.30 * w)), 11)
    head_age = np.clip(rng.normal(45, 12, H), 20, 85).astype(np.int64)
    head_male = rng.random(H) < 0.85
    has_spouse = (size >= 2) & (rng.random(H) < 0.85)
    M = int(size.sum())
    hh = np.repeat(np.arange(H), size)
    slot = np.arange(M) - np.repeat(np.cumsum(size) - size, size)
    relationship = np.full(M, "3", dtype=object)  # child
    relationship[slot == 0] = "1"
    spouse_slot = (slot == 1) & has_spouse[hh]
    relationship[spouse_slot] = "2"
    last = slot == size[hh] - 1
    big = size[hh] >= 5
    extra = rng.random(M)
    relationship[last & big & (slot >= 2) & (extra < 0.30)] = "6"  # a parent of the head
    relationship[last & big & (slot >= 2) & (extra >= 0.30) & (extra < 0.40)] = "5"  # a grandchild
    relationship[(slot >= 2) & (size[hh] >= 7) & (extra > 0.97)] = "8"  # another relative
    ha = head_age[hh]
    age = np.where(
        relationship == "1",
        ha,
        np.where(
            relationship == "2",
            np.clip(ha - rng.normal(3, 4, M), 18, 90),
            np.where(
                relationship == "6",
                np.clip(ha + rng.normal(27, 4, M), 45, 100),
                np.where(
                    relationship == "5",
                    rng.integers(0, 11, M),
                    np.where(relationship == "8", rng.integers(10, 70, M), rng.random(M) * np.clip(ha - 18, 1, 30)),
                ),
            ),
        ),
    ).astype(np.int64)
    male = np.where(
        relationship == "1", head_male[hh], np.where(relationship == "2", ~head_male[hh], rng.random(M) < 0.51)
    )
    birth = ref - (age * 365.25 + rng.integers(1, 365, M)).astype("timedelta64[D]")
    wm = w[hh]  # wealth seen from each member

    # -- marital status, schooling ----------------------------------------------------------------
    marital = np.where(age < 17, "1", np.where(relationship == "2", "2", "1")).astype(object)
    head = relationship == "1"
    marital[head] = np.where(has_spouse[hh[head]], "2", _choice(rng, ["1", "3", "4"], [0.3, 0.3, 0.4], int(head.sum())))
    marital[(relationship == "6")] = _choice(rng, ["2", "4"], [0.4, 0.6], int((relationship == "6").sum()))
    marital[(relationship == "8") & (age >= 20)] = "2"
    edu_latent = 0.8 * wm + 0.6 * rng.normal(0, 1, M) - 0.02 * np.maximum(age - 40, 0)
    diploma = np.asarray(["0", "1", "2", "3", "4", "5", "6"], dtype=object)[
        np.searchsorted([-1.6, -0.9, -0.2, 0.9, 1.3, 2.2], edu_latent)
    ]
    attending = np.zeros(M, dtype=bool)
    level = np.full(M, "", dtype=object)
    draw, pick = rng.random(M), rng.random(M)
    bands = [  # (ages, probability of attending school, level attended)
        ((5, 6), np.full(M, 0.7), np.full(M, "2", dtype=object)),
        ((7, 12), np.full(M, 0.985), np.full(M, "3", dtype=object)),
        ((13, 15), np.full(M, 0.93), np.full(M, "5", dtype=object)),
        ((16, 18), _sigmoid(1.6 + 1.2 * wm), np.where(pick < 0.45, "8", "7").astype(object)),
        ((19, 23), _sigmoid(-1.4 + 1.3 * wm), np.where(pick < 0.3, "10", "11").astype(object)),
    ]
    for (lo, hi), prob, codes in bands:
        go = (age >= lo) & (age <= hi) & (draw < prob)
        level[go] = codes[go]
        attending |= go
    participation = np.where(attending, "1", np.where(age < 5, "", np.where(diploma == "0", "0", "2"))).astype(object)
    participation[(age >= 5) & ~attending & (age < 7)] = "0"
    # Children's diploma follows from their age; adults' from the latent education.
    child_diploma = np.where(age >= 16, "2", np.where(age >= 13, "1", "0"))
    diploma = np.where(age < 19, child_diploma, diploma).astype(object)
    diploma[age < 7] = ""
    left = (participation == "2") & (diploma != "")
    # The level last attended follows from the highest diploma (none or SD → SD, SMP → SMP, …).
    level[left] = np.array(["3", "3", "5", "7", "10", "11", "13"], dtype=object)[diploma[left].astype(int)]

    # -- work --------------------------------------------------------------------------------------
    working_age = (age >= 15) & (age <= 64) & ~attending
    labour_force = working_age & (rng.random(M) < np.where(male, 0.86, 0.52))
    labour_force |= (age >= 65) & (rng.random(M) < 0.25)
    # Unemployment falls with wealth and age; its level is set so the rate equals the target.
    risk = -0.45 * wm - 0.035 * (age - 30) + rng.normal(0, 0.5, M)
    target_u = city["targets"]["unemployment_rate"]
    cut = float(np.quantile(risk[labour_force], 1 - target_u)) if labour_force.any() else 0.0
    unemployed = labour_force & (risk > cut)
    worked = labour_force & ~unemployed
    industry = np.full(M, "", dtype=object)
    men = worked & male
    women = worked & ~male
    industry[men] = _choice(
        rng,
        ["10", "11", "12", "8", "7", "18", "4", "13", "19", "17", "16", "15"],
        [16, 20, 12, 10, 8, 7, 3, 6, 9, 3, 3, 3],
        int(men.sum()),
    )
    industry[women] = _choice(
        rng, ["11", "13", "16", "17", "8", "19", "18", "15", "1"], [30, 16, 12, 8, 7, 14, 6, 5, 2], int(women.sum())
    )
    status_latent = 0.9 * wm + rng.normal(0, 1, M)
    employment = _ordered(
        rng, status_latent, [-1.4, -0.9, -0.4, 1.2, 2.0, 2.6, 3.0], ["7", "1", "8", "4", "5", "2", "3", "3"]
    )
    employment = np.where(worked, employment, "").astype(object)
    employment[worked & (industry == "18")] = "5"
    hours = np.where(worked, np.clip(rng.normal(44, 10, M), 4, 84), 0).astype(np.int64)
    business = np.where(worked & np.isin(employment, ["1", "2", "3"]), 1, 0)

    # -- health, disability, insurance -----------------------------------------------------------
    difficulty_p = 0.004 + 0.0009 * np.maximum(age - 45, 0) + 0.002 * (wm < -1)
    difficulties: dict[str, np.ndarray] = {}
    for domain in (
        "seeing",
        "hearing",
        "walking",
        "hands",
        "learning",
        "behaviour",
        "speaking",
        "selfcare",
        "remembering",
        "depression",
    ):
        draw = rng.random(M)
        scale = 0.4 if domain in {"hands", "behaviour", "speaking", "selfcare"} else 1.0
        answer = np.where(
            draw < difficulty_p * scale * 0.3,
            "4",
            np.where(draw < difficulty_p * scale, "3", np.where(draw < difficulty_p * scale * 4, "2", "1")),
        )
        difficulties[f"difficulty_{domain}"] = np.where(age >= 2, answer, "").astype(object)
    severe = np.zeros(M, dtype=bool)
    for values in difficulties.values():
        severe |= np.isin(values, ["3", "4"])
    caregiver = severe & (rng.random(M) < 0.4)
    chronic_p = np.clip(0.02 + 0.007 * np.maximum(age - 35, 0), 0, 0.55)
    chronic = np.where(
        rng.random(M) < chronic_p,
        _choice(rng, ["1", "5", "2", "4", "3", "7", "6", "10", "8", "9"], [35, 15, 12, 10, 8, 5, 4, 6, 3, 2], M),
        "0",
    ).astype(object)
    pbi = rng.random(M) < _sigmoid(-1.4 - 1.6 * wm)
    insurance = np.where(pbi, "1", _choice(rng, ["2", "3", "0", "4"], [35, 45, 12, 8], M)).astype(object)
    pregnant = (~male) & (age >= 16) & (age <= 45) & (marital == "2") & (rng.random(M) < 0.045)
    pip = attending & (age <= 18) & (rng.random(M) < _sigmoid(-1.8 - 1.5 * wm))
    prakerja = working_age & (rng.random(M) < 0.03)
    kur = business.astype(bool) & (rng.random(M) < 0.15)
    umi = business.astype(bool) & (rng.random(M) < _sigmoid(-2.5 - wm))
    bpjstk = worked & np.isin(employment, ["4", "5"]) & (rng.random(M) < 0.7)

    # -- housing, utilities, assets (household level) ------------------------------------------------
    size_f = size.astype(float)
    floor_area = np.clip(np.exp(3.2 + 0.25 * w + 0.35 * np.log(size_f) + rng.normal(0, 0.35, H)), 9, 600).astype(
        np.int64
    )
    ownership = _ordered(rng, 0.4 * w + 0.03 * (head_age - 45), [-1.3, -0.7, -0.55, -0.5], ["3", "2", "4", "5", "1"])
    certificate = np.where(
        ownership == "1", _ordered(rng, 0.7 * w, [-1.3, -0.8, -0.5, 0.0, 0.3], ["6", "5", "3", "2", "4", "1"]), ""
    ).astype(object)
    floor = _ordered(rng, 0.9 * w, [-2.4, -1.5, -0.9, -0.5, 1.6, 2.2], ["8", "5", "6", "4", "2", "3", "1"])
    wall = _ordered(rng, 0.9 * w + 0.3, [-2.1, -1.8, -0.8, -0.6], ["6", "4", "3", "2", "1"])
    roof = _ordered(rng, 0.8 * w, [-2.6, 0.9, 1.5, 2.1], ["5", "3", "4", "2", "1"])
    water = _ordered(rng, 0.8 * w, [-2.3, -1.6, -0.9, 0.2, 1.3], ["6", "5", "4", "3", "2", "1"])
    lighting = np.where(rng.random(H) < _sigmoid(4.5 + w), "1", _choice(rng, ["2", "3"], [70, 30], H)).astype(object)
    power = np.where(
        lighting == "1",
        _ordered(rng, 1.1 * w + 0.2 * np.log(size_f), [-0.9, 0.5, 1.6, 2.5], ["450", "900", "1300", "2200", "2201"]),
        "",
    ).astype(object)
    cooking = _ordered(rng, 0.9 * w, [-2.7, -2.3, 1.2, 2.0], ["10", "7", "4", "3", "1"])
    toilet = _ordered(rng, 0.8 * w + 1.0, [-1.6, -1.2, -0.9, -0.7], ["6", "4", "3", "2", "1"])
    toilet_type = np.where(
        toilet != "6", _ordered(rng, 0.8 * w + 1.5, [-1.5, -1.0, -0.6], ["4", "3", "2", "1"]), ""
    ).astype(object)
    sewage = np.where(
        toilet != "6", _ordered(rng, 0.8 * w + 0.8, [-1.8, -1.3, -1.1, 2.5], ["5", "3", "4", "1", "2"]), ""
    ).astype(object)

    def asset(intercept: float, slope: float) -> np.ndarray:
        return rng.random(H) < _sigmoid(intercept + slope * w)

    assets = {
        "has_lpg_5kg": asset(-1.9, 0.9),
        "has_fridge": asset(1.8, 1.3),
        "has_ac": asset(-1.2, 1.5),
        "has_water_heater": asset(-2.9, 1.4),
        "has_landline": asset(-3.2, 1.0),
        "has_tv": asset(2.8, 1.0),
        "has_gold": asset(-1.6, 1.0),
        "has_computer": asset(-1.3, 1.4),
        "has_motorcycle": asset(2.3, 0.8),
        "has_bicycle": asset(-0.9, 0.3),
        "has_car": asset(-1.3, 1.5),
        "has_boat": asset(-4.2, -0.5),
        "has_motorboat": asset(-4.8, -0.2),
        "has_smartphone": asset(2.6, 1.2),
        "owns_land": asset(-1.9, 0.8),
        "has_other_house": asset(-2.4, 1.1),
        "internet_access": asset(1.2, 1.2),
        "bank_account": asset(0.7, 1.3),
    }
    goats = np.where(rng.random(H) < 0.025, rng.integers(1, 12, H), 0)
    cattle = np.where(rng.random(H) < 0.006, rng.integers(1, 6, H), 0)

    # -- consumption: latent model, then calibrated ----------------------------------------------------
    log_y = 0.48 * (w + rng.normal(0, 0.35, H)) + area - 0.12 * np.log(size_f) + rng.normal(0, 0.40, H)
    # Poverty in the city is shallow (BPS: P1 ≈ 0.06 · P0): the lowest tail is compressed towards its
    # 8th percentile, so the poor sit close below the line instead of trailing far under it.
    knee = np.quantile(log_y, 0.08)
    log_y = np.where(log_y < knee, knee + TAIL_COMPRESSION * (log_y - knee), log_y)
    targets = city["targets"]
    z = float(targets["poverty_line"])
    people = size_f
    scale = _solve_scale(log_y, people, targets["gini"])
    centred = scale * (log_y - np.average(log_y, weights=people))
    shift = _solve_shift(centred, people, z, targets["p0"])
    consumption = np.round(np.exp(centred + shift)).astype(np.int64)

    # -- DTSEN-style desil (a noisy ranking, as a PMT would give) and programmes received ----------------
    score = np.log(consumption) + rng.normal(0, 0.28, H)
    order = np.argsort(score, kind="stable")
    cum_people = np.cumsum(people[order]) / people.sum()
    desil_city = np.empty(H, dtype=np.int64)
    desil_city[order] = np.minimum(10, 1 + (cum_people * 10 - 1e-12).astype(np.int64))
    desil_national = np.minimum(10, desil_city + rng.integers(1, 4, H))
    poorer = -(score - np.median(score)) / 0.5
    receipts = {
        "prog_bpnt": rng.random(H) < _sigmoid(-2.6 + 1.2 * poorer),
        "prog_pkh": rng.random(H) < _sigmoid(-3.3 + 1.3 * poorer),
        "prog_subsidi_listrik": np.asarray(power == "450") & (rng.random(H) < 0.8),
        "prog_bantuan_pemda": rng.random(H) < _sigmoid(-4.0 + 1.0 * poorer),
        "prog_subsidi_lpg": np.asarray(cooking == "4") & (rng.random(H) < 0.5),
    }
    months = ["2025-10", "2025-11", "2025-12"]

    # -- identifiers, names, addresses ----------------------------------------------------------------
    kec_digits = np.array([k["code"].replace(".", "") for k in kecamatan], dtype=object)
    outside = np.array(city.get("outside_nik_prefixes", []), dtype=object)
    origin = rng.random(M)
    other_kec = kec_digits[rng.integers(0, len(kecamatan), M)]
    prefix = np.where(
        origin < 0.65,
        kec_digits[kec[hh]],
        np.where(
            (origin < 0.82) | (outside.size == 0) | (age < 10),
            other_kec,
            outside[rng.integers(0, max(outside.size, 1), M)] if outside.size else other_kec,
        ),
    )
    bd = birth.astype(object)
    day = np.array([d.day for d in bd]) + np.where(male, 0, 40)
    month = np.array([d.month for d in bd])
    year2 = np.array([d.year % 100 for d in bd])
    date_part = np.char.add(
        np.char.add(np.char.zfill(day.astype(str), 2), np.char.zfill(month.astype(str), 2)),
        np.char.zfill(year2.astype(str), 2),
    )
    key = np.char.add(prefix.astype(str), date_part)
    serial = _serials(key)  # 0001, 0002, … per region of registration and birth date
    nik = np.char.add(key, np.char.zfill(serial.astype(str), 4))
    kk_issue = ref - rng.integers(30, 15 * 365, H).astype("timedelta64[D]")
    kk_date = np.array([f"{d.day:02d}{d.month:02d}{d.year % 100:02d}" for d in kk_issue.astype(object)], dtype=str)
    kk_key = np.char.add(kec_digits[kec].astype(str), kk_date)
    kk_number = np.char.add(kk_key, np.char.zfill(_serials(kk_key).astype(str), 4))
    given = np.where(
        male,
        np.array(names.MALE, dtype=object)[rng.integers(0, len(names.MALE), M)],
        np.array(names.FEMALE, dtype=object)[rng.integers(0, len(names.FEMALE), M)],
    )
    second = np.array(names.SECOND, dtype=object)[rng.integers(0, len(names.SECOND), M)]
    with_second = rng.random(M) < 0.7
    # Middle names and a wider pool of second names come from a stream of their own (see names.py).
    name_rng = np.random.default_rng([config.seed, 7])
    middle = np.where(
        male,
        np.array(names.MIDDLE_MALE, dtype=object)[name_rng.integers(0, len(names.MIDDLE_MALE), M)],
        np.array(names.MIDDLE_FEMALE, dtype=object)[name_rng.integers(0, len(names.MIDDLE_FEMALE), M)],
    )
    given = np.where(name_rng.random(M) < 0.5, given + " " + middle, given)
    family = np.array(names.FAMILY, dtype=object)[name_rng.integers(0, len(names.FAMILY), M)]
    second = np.where(name_rng.random(M) < 0.6, family, second)
    full = np.where(with_second, given + " " + second, given)
    hajj = (age >= 45) & (rng.random(M) < 0.06)
    full = np.where(hajj, np.where(male, "H. ", "Hj. ") + full, full)
    street = np.array(names.STREETS, dtype=object)[rng.integers(0, len(names.STREETS), H)]
    address = "Jl. " + street + " No. " + rng.integers(1, 200, H).astype(str).astype(object)

    households = {
        "kelurahan_code": np.array(kel_codes, dtype=object)[kel],
        "kk_number": kk_number.astype(object),
        "address": address,
        "rt": np.char.zfill(rt.astype(str), 3).astype(object),
        "rw": np.char.zfill(rw.astype(str), 3).astype(object),
        "building_ownership": ownership,
        "land_certificate": certificate,
        "floor_area_m2": floor_area,
        "floor_material": floor,
        "wall_material": wall,
        "roof_material": roof,
        "water_source": water,
        "lighting": lighting,
        "power_va": power,
        "cooking_fuel": cooking,
        "toilet_facility": toilet,
        "toilet_type": toilet_type,
        "sewage_disposal": sewage,
        **assets,
        "cattle": cattle,
        "goats": goats,
        "desil_national": desil_national,
        "desil_city": desil_city,
        "desil_date": np.full(H, "2025-12-01", dtype=object),
        **{k: np.where(v, np.array(months, dtype=object)[rng.integers(0, 3, H)], "") for k, v in receipts.items()},
        # truth, not written to the registry file
        "_kecamatan": kec_code,
        "_kelurahan_index": kel,
        "_rt": rt,
        "_size": size,
        "_wealth": w,
        "_consumption_pc": consumption,
    }
    members = {
        "nik": nik.astype(object),
        "name": full,
        "sex": np.where(male, "1", "2").astype(object),
        "birth_date": birth.astype(str).astype(object),
        "relationship": relationship,
        "marital_status": marital,
        "pregnant": pregnant,
        "school_participation": participation,
        "school_level": level,
        "diploma": diploma,
        "worked": np.where(age >= 10, worked, False),
        "work_hours": hours,
        "industry": industry,
        "employment_status": employment,
        "business_count": business,
        **difficulties,
        "needs_caregiver": caregiver,
        "chronic_illness": chronic,
        "health_insurance": insurance,
        "receives_pip": pip,
        "receives_prakerja": prakerja,
        "receives_kur": kur,
        "receives_umi": umi,
        "employment_insurance": bpjstk,
        "_household": hh,
        "_age": age,
        "_labour_force": labour_force,
        "_unemployed": unemployed,
    }
    population = Population(households, members, city)
    population.calibration = {"scale": float(scale), "shift": float(shift)}
    return population


def _solve_scale(log_y: np.ndarray, people: np.ndarray, target_gini: float) -> float:
    """The factor on log consumption that gives the target person-weighted Gini (Gini rises with it)."""
    centred = log_y - np.average(log_y, weights=people)
    lo, hi = 0.01, 5.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if gini(np.exp(mid * centred), weights=people) < target_gini:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _solve_shift(centred: np.ndarray, people: np.ndarray, line: float, target_p0: float) -> float:
    """The level of log consumption at which the person-weighted headcount equals the target."""
    lo, hi = np.log(line) - 10, np.log(line) + 10
    for _ in range(80):
        mid = (lo + hi) / 2
        if fgt(np.exp(centred + mid), line, 0, weights=people) > target_p0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2
