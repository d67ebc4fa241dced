"""The Indonesian catalogue is complete: every message of the templates and of the Python code shown to
users has a real, reviewed translation (no empty msgstr, no fuzzy guess), and the committed catalogue
holds every message the sources ask for (``make messages`` was run after the last string was added)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import override_settings

import entas

PACKAGE = Path(entas.__file__).parent
CATALOGUE = PACKAGE / "locale" / "id" / "LC_MESSAGES" / "django.po"


def _untranslated(path: Path) -> list[str]:
    """The msgids of a catalogue without a usable translation: empty (also a plural form) or fuzzy."""
    missing = []
    for entry in polib.pofile(str(path)):
        if entry.obsolete:
            continue
        empty = not any(entry.msgstr_plural.values()) if entry.msgid_plural else not entry.msgstr
        if empty or entry.fuzzy:
            missing.append(entry.msgid)
    return missing


def test_every_message_of_the_catalogue_has_an_indonesian_translation() -> None:
    assert _untranslated(CATALOGUE) == []


@pytest.mark.integration  # runs makemessages (xgettext) over a copy of the sources: ten seconds or so
def test_the_catalogue_holds_every_message_of_the_sources(tmp_path: Path) -> None:
    # makemessages over a copy merges the sources' messages into the committed catalogue: a message
    # missing from it comes back untranslated (or fuzzy, guessed from a similar one).
    copy = tmp_path / "entas"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "vendor", "media"))
    with override_settings(LOCALE_PATHS=[copy / "locale"]), contextlib.chdir(copy):
        call_command("makemessages", locale=["id"], no_obsolete=True, verbosity=0)
    missing = _untranslated(copy / "locale" / "id" / "LC_MESSAGES" / "django.po")
    assert missing == [], "run `make messages` and translate: " + "; ".join(missing[:10])


def test_the_catalogue_compiles_as_make_messages_compiles_it() -> None:
    """compilemessages runs ``msgfmt --check-format``: a translation that drops a %(name)s, a "95 %"
    that xgettext took for a directive, or a second plural form (Indonesian has one) stops it."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("GNU gettext's msgfmt is not installed (apt-get install gettext)")
    done = subprocess.run(
        [msgfmt, "--check-format", "-o", "/dev/null", str(CATALOGUE)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
