"""Pure rules of awareness campaigns: plain facts in, a figure or a decision out; no ORM, no request.

- the age band of a person, the score of a knowledge test and the check of a question;
- the paired comparison of knowledge before and after (mean change with its confidence interval, on
  Student's t) and McNemar's test per question (exact binomial under 25 discordant pairs, otherwise
  the chi-square with continuity correction);
- the comparison group of a follow-up: for each attending household, comparable households that did
  not attend (same kelurahan and desil), drawn deterministically from a seed;
- the ranking of kelurahan a campaign is suggested for, and the dates of the follow-up waves.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

AGE_BANDS = ("0-14", "15-24", "25-44", "45-59", "60+")
LETTERS = "abcdef"
WAVES = (0, 3, 12)  # months after a household's first attendance: the baseline, then the follow-ups
EXACT_BELOW = 25  # McNemar: the exact binomial test below this many discordant pairs


def age(birth_date: dt.date, on: dt.date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def age_band(birth_date: dt.date, on: dt.date) -> str:
    """The age band of a person born on ``birth_date``, on the day ``on``."""
    years = age(birth_date, on)
    for band, upper in zip(AGE_BANDS, (14, 24, 44, 59), strict=False):
        if years <= upper:
            return band
    return AGE_BANDS[-1]


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the last day of a shorter month)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def check_question(text: str, options: Sequence[str], key: str) -> list[str]:
    """What is wrong with a multiple-choice question: 2 to 6 options, the key one of their letters."""
    problems = []
    if not text.strip():
        problems.append(_("A question needs its text."))
    if not 2 <= len(options) <= len(LETTERS) or any(not o.strip() for o in options):
        problems.append(_("A question has 2 to 6 options, none empty."))
    elif key not in LETTERS[: len(options)]:
        problems.append(
            _("The key must be the letter of an option (%(letters)s).")
            % {"letters": ", ".join(LETTERS[: len(options)])}
        )
    return problems


def score(choices: Mapping[int, str], key: Mapping[int, str]) -> int:
    """How many of the questions (numbered as in ``key``) were answered with their key."""
    return sum(1 for number, right in key.items() if choices.get(number) == right)


# -- the paired comparison ----------------------------------------------------------------------------


def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (Lentz's method)."""
    tiny, eps = 1e-300, 3e-14
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T ≤ t) for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * betainc(df / 2, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The t with P(T ≤ t) = p (bisection on the distribution function; p in (0, 1))."""
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2
    for _step in range(200):
        mid = (low + high) / 2
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2


@dataclass(frozen=True)
class PairedChange:
    """The change of a score between two tests of the same people: n pairs, the means before and
    after, the mean change with its standard deviation and the confidence interval (``level``).
    With fewer than two pairs there is no interval (``low``/``high`` None)."""

    n: int
    before: float | None
    after: float | None
    change: float | None
    sd: float | None
    low: float | None
    high: float | None
    level: float = 0.95

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "n": self.n,
            "before": self.before,
            "after": self.after,
            "change": self.change,
            "sd": self.sd,
            "ci_low": self.low,
            "ci_high": self.high,
        }


def paired_change(pairs: Iterable[tuple[float, float]], level: float = 0.95) -> PairedChange:
    """Mean change (after less before) of paired scores, with its t confidence interval."""
    pairs = list(pairs)
    n = len(pairs)
    if n == 0:
        return PairedChange(0, None, None, None, None, None, None, level)
    before = sum(b for b, _a in pairs) / n
    after = sum(a for _b, a in pairs) / n
    diffs = [a - b for b, a in pairs]
    mean = sum(diffs) / n
    if n < 2:
        return PairedChange(n, before, after, mean, None, None, None, level)
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1))
    half = t_quantile(1 - (1 - level) / 2, n - 1) * sd / math.sqrt(n)
    return PairedChange(n, before, after, mean, sd, mean - half, mean + half, level)


@dataclass(frozen=True)
class McNemar:
    """McNemar's test of one question answered before and after by the same people: ``right_before``
    and ``right_after`` (the shares answering right), ``lost`` (right before, wrong after), ``gained``
    (wrong before, right after), the statistic and its p-value; ``exact`` when the p-value is the
    exact binomial one (fewer than 25 discordant pairs; the statistic is then still reported)."""

    n: int
    right_before: int
    right_after: int
    lost: int
    gained: int
    statistic: float | None
    p_value: float | None
    exact: bool


def mcnemar(pairs: Iterable[tuple[bool, bool]]) -> McNemar:
    """McNemar's test on pairs (right before, right after) of one question."""
    pairs = list(pairs)
    lost = sum(1 for b, a in pairs if b and not a)
    gained = sum(1 for b, a in pairs if a and not b)
    right_before = sum(1 for b, _a in pairs if b)
    right_after = sum(1 for _b, a in pairs if a)
    discordant = lost + gained
    if discordant == 0:
        return McNemar(len(pairs), right_before, right_after, 0, 0, None, None, False)
    statistic = (abs(lost - gained) - 1) ** 2 / discordant
    if discordant < EXACT_BELOW:
        tail = sum(math.comb(discordant, k) for k in range(min(lost, gained) + 1)) / 2**discordant
        return McNemar(len(pairs), right_before, right_after, lost, gained, statistic, min(1.0, 2 * tail), True)
    p_value = math.erfc(math.sqrt(statistic / 2))
    return McNemar(len(pairs), right_before, right_after, lost, gained, statistic, p_value, False)


# -- follow-ups ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdCell:
    """A household as the comparison sees it: where it lives and its desil (None: not ranked)."""

    household: int
    kelurahan: str
    desil: int | None


def comparison_group(
    attending: Iterable[HouseholdCell], pool: Iterable[HouseholdCell], *, per: int = 1, seed: str = ""
) -> dict[int, list[int]]:
    """For each attending household, up to ``per`` households of the pool that did not attend, of the
    same kelurahan and desil, each used once; drawn in an order fixed by ``seed`` (the same facts give
    the same group). An attending household with no comparable one maps to an empty list. Households
    without a desil are compared with none."""
    attending = sorted(attending, key=lambda h: h.household)
    taken = {h.household for h in attending}
    cells: dict[tuple[str, int], list[int]] = defaultdict(list)
    for h in sorted(pool, key=lambda h: h.household):
        if h.household not in taken and h.desil is not None:
            cells[(h.kelurahan, h.desil)].append(h.household)
    rng = random.Random(f"outreach-comparison:{seed}")
    for candidates in cells.values():
        rng.shuffle(candidates)
    matched: dict[int, list[int]] = {}
    for h in attending:
        if h.desil is None:
            matched[h.household] = []
            continue
        candidates = cells.get((h.kelurahan, h.desil), [])
        matched[h.household] = [candidates.pop() for _i in range(min(per, len(candidates)))]
    return matched


def share(part: int, whole: int) -> float | None:
    """part/whole, or None when there is no whole."""
    return part / whole if whole else None


@dataclass(frozen=True)
class Suggestion:
    """A kelurahan suggested for a campaign: its figure (e.g. school-age children out of school) and
    the population the figure is counted in."""

    kelurahan: str
    figure: int
    population: int

    @property
    def rate(self) -> float | None:
        return share(self.figure, self.population)


def rank_kelurahan(figures: Mapping[str, tuple[int, int]], n: int = 5) -> list[Suggestion]:
    """The ``n`` kelurahan with the largest figure (ties: the higher rate, then the code); a kelurahan
    with a figure of zero is not suggested."""
    rows = [Suggestion(code, f, p) for code, (f, p) in figures.items() if f > 0]
    rows.sort(key=lambda s: (-s.figure, -(s.rate or 0), s.kelurahan))
    return rows[:n]
