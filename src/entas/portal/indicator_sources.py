"""The citizen portal's indicator sources for monitoring (docs/monitoring.md, "Module sources"): the
portal sits above monitoring in the layers, so it registers its numerators and denominators here,
from its AppConfig.ready, and monitoring never imports it."""

from __future__ import annotations

from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.monitoring import sources

from .models import Case


def resolved_on_time_rows() -> list[sources.Row]:
    """Complaints resolved by their resolution date / complaints resolved or already due, by kelurahan
    and month of submission; spam and duplicates left out (as on the complaint statistics page). An
    open complaint that is not yet due is not counted: it may still be resolved in time."""
    today = timezone.localdate()
    out: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    rows = Case.objects.filter(spam=False, duplicate_of__isnull=True).values_list(
        "kelurahan_id", "submitted_at", "resolution_due", "resolved_at"
    )
    for kelurahan, submitted, due, resolved in rows:
        resolved_day = timezone.localdate(resolved) if resolved else None
        if resolved_day is None and due >= today:
            continue
        counts = out[(kelurahan, f"{timezone.localtime(submitted):%Y-%m}")]
        counts[1] += 1
        if resolved_day is not None and resolved_day <= due:
            counts[0] += 1
    return [(kel, period, n, d) for (kel, period), (n, d) in out.items()]


sources.register(
    "portal.resolved_on_time", _("Complaints resolved within their service level / complaints resolved or due")
)(resolved_on_time_rows)
