"""NIK and KK numbers: pure validation, one place for the whole project.

NIK layout (UU 24/2013): ``PP KK CC DDMMYY SSSS``: province, kabupaten/kota and kecamatan of first
registration (the kecamatan's Kemendagri code without dots), the birth date with 40 added to the
day for women, and a 4-digit serial. The KK number is a 6-digit region code, an issue date
``DDMMYY`` and a 4-digit family serial (layout not legally confirmed: its checks only warn).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Set
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext as _


class Severity(StrEnum):
    ERROR = "error"  # the value is rejected
    WARNING = "warning"  # accepted, flagged for verification (verval)


@dataclass(frozen=True)
class Issue:
    """One problem with one field: what a form, the import and the API report."""

    field: str
    code: str
    message: str
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR


def nik_birth_parts(nik: str) -> tuple[int, int, int, bool]:
    """(day, month, two-digit year, is_female) encoded in a NIK of 16 digits."""
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    return (day - 40, month, year, True) if day > 40 else (day, month, year, False)


def check_nik(
    nik: str,
    *,
    birth_date: dt.date | None = None,
    sex: str | None = None,
    known_kecamatan: Set[str] | None = None,
    field: str = "nik",
) -> list[Issue]:
    """Every problem of a NIK, alone and against the member's birth date and sex ('1' male, '2' female).

    ``known_kecamatan`` holds 6-digit kecamatan codes (``647101``); a prefix outside it is a warning
    only, since residents may hold NIKs issued elsewhere and old codes persist.
    """
    if len(nik) != 16 or not nik.isdigit():
        return [Issue(field, "nik_format", _("NIK %(value)r must be exactly 16 digits.") % {"value": nik})]
    issues: list[Issue] = []
    day, month, year, female = nik_birth_parts(nik)
    raw_day = int(nik[6:8])
    if not (1 <= raw_day <= 31 or 41 <= raw_day <= 71):
        issues.append(
            Issue(
                field,
                "nik_day",
                _("NIK %(value)s: day %(day)s is not 01–31 (men) or 41–71 (women).") % {"value": nik, "day": nik[6:8]},
            )
        )
    if not 1 <= month <= 12:
        issues.append(
            Issue(
                field,
                "nik_month",
                _("NIK %(value)s: month %(month)s is not 01–12.") % {"value": nik, "month": nik[8:10]},
            )
        )
    if nik[12:] == "0000":
        issues.append(
            Issue(field, "nik_serial", _("NIK %(value)s: the serial number 0000 is not issued.") % {"value": nik})
        )
    if issues:
        return issues
    try:
        dt.date(2000 + year, month, day)  # 2000 is a leap year: 29 Feb is possible in either century
    except ValueError:
        issues.append(
            Issue(
                field,
                "nik_date",
                _("NIK %(value)s encodes an impossible date (%(day)02d-%(month)02d).")
                % {"value": nik, "day": day, "month": month},
                Severity.WARNING,
            )
        )
    if birth_date is not None and (birth_date.day, birth_date.month, birth_date.year % 100) != (day, month, year):
        issues.append(
            Issue(
                field,
                "nik_birth_date",
                _(
                    "NIK %(value)s encodes the birth date %(day)02d-%(month)02d-..%(year)02d, but the birth date is "
                    "%(birth)s."
                )
                % {"value": nik, "day": day, "month": month, "year": year, "birth": birth_date.strftime("%d-%m-%Y")},
                Severity.WARNING,  # DOMAIN §4: disagreement with the NIK is flagged for verval, never rejected
            )
        )
    if sex in {"1", "2"} and female != (sex == "2"):
        issues.append(
            Issue(
                field,
                "nik_sex",
                _("NIK %(value)s encodes a %(nik_sex)s (day %(day)s), but the sex is %(sex)s.")
                % {
                    "value": nik,
                    "nik_sex": _("woman") if female else _("man"),
                    "day": nik[6:8],
                    "sex": _("female") if sex == "2" else _("male"),
                },
                Severity.WARNING,
            )
        )
    if known_kecamatan is not None and nik[:6] not in known_kecamatan:
        issues.append(
            Issue(
                field,
                "nik_region",
                _("NIK %(value)s: region %(region)s is not a known kecamatan (issued elsewhere?).")
                % {"value": nik, "region": nik[:6]},
                Severity.WARNING,
            )
        )
    return issues


def check_kk(kk: str, *, known_kecamatan: Set[str] | None = None, field: str = "kk_number") -> list[Issue]:
    """Every problem of a KK number. Only the length is certain; the rest are warnings."""
    if len(kk) != 16 or not kk.isdigit():
        return [Issue(field, "kk_format", _("KK number %(value)r must be exactly 16 digits.") % {"value": kk})]
    issues = []
    day, month = int(kk[6:8]), int(kk[8:10])
    if not (1 <= day <= 31 and 1 <= month <= 12):
        issues.append(
            Issue(
                field,
                "kk_date",
                _("KK number %(value)s: the issue date %(date)s is not a date.") % {"value": kk, "date": kk[6:12]},
                Severity.WARNING,
            )
        )
    if known_kecamatan is not None and kk[:6] not in known_kecamatan:
        issues.append(
            Issue(
                field,
                "kk_region",
                _("KK number %(value)s: region %(region)s is outside the city.") % {"value": kk, "region": kk[:6]},
                Severity.WARNING,
            )
        )
    return issues


def mask_nik(nik: str) -> str:
    """The one masking rule of personal-data policy for a NIK shown without being revealed
    (pages, exports, the API, the audit trail): ``6471014502850001`` → ``6471••4•••••0001``.

    Shown: the province and city (digits 1–4, context), the tens digit of the birth day (digit 7:
    0–3 for a man, 4–7 for a woman, whose day carries +40) and the serial (digits 13–16). Hidden:
    the kecamatan (5–6) and the rest of the birth date (8–12). A husband and wife of the same
    serial thus differ (``6471••0•••••0001`` and ``6471••4•••••0001``), and the mask says no more
    than the sex every page already shows beside it. Anything not 16 characters is hidden whole.
    """
    if len(nik) != 16:
        return "•" * len(nik)
    return nik[:4] + "••" + nik[6] + "•" * 5 + nik[-4:]
