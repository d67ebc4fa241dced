"""Reading a training catalogue file (YAML: providers, their courses and cohorts; the shape of
docs/examples/training.yaml, described in docs/training.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from django.utils.translation import gettext as _

from entas.core.errors import Refused

from . import services

if TYPE_CHECKING:
    from entas.accounts.models import User

MAX_BYTES = 512 * 1024  # a city's whole catalogue is a few tens of KB


def parse(text: str) -> dict[str, Any]:
    """The catalogue in a YAML text (safe loading: plain mappings, lists, text, numbers, dates)."""
    if len(text.encode()) > MAX_BYTES:
        raise Refused(_("The catalogue is larger than %(n)d KB.") % {"n": MAX_BYTES // 1024}, code="invalid")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise Refused(_("The catalogue is not valid YAML: %(error)s") % {"error": exc}, code="invalid") from None
    if not isinstance(data, dict) or not isinstance(data.get("providers"), list):
        raise Refused(_("A catalogue is a mapping with a list of providers."), code="invalid")
    return data


def load_file(path: Path, *, actor: User) -> dict[str, dict[str, int]]:
    if not path.is_file():
        raise Refused(_("%(path)s is not a file.") % {"path": path}, code="invalid")
    if path.stat().st_size > MAX_BYTES:
        raise Refused(_("The catalogue is larger than %(n)d KB.") % {"n": MAX_BYTES // 1024}, code="invalid")
    return services.load_catalogue(data=parse(path.read_text(encoding="utf-8")), actor=actor)
