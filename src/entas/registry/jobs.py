"""Background jobs of the registry."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from entas.accounts.roles import Capability
from entas.core import audit
from entas.core.jobqueue import JobContext, JobError, job_kind

from .selectors import households_for

EXPORT_COLUMNS = ["kk_number", "kelurahan_code", "kelurahan", "address", "rt", "rw", "members"]
BATCH = 2000


@job_kind("registry.export_households", _("Export households (CSV)"))
def export_households(ctx: JobContext) -> dict[str, Any]:
    """Write the households the job's owner may see to a CSV file, in id-ordered batches."""
    actor = ctx.actor
    if actor is None or not actor.can(Capability.EXPORT_REGISTRY):
        raise JobError(str(_("You are not allowed to export the registry.")))
    from django.db.models import Count

    qs = households_for(actor).annotate(n_members=Count("members")).order_by("pk")
    ctx.set_total(qs.count())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    last_pk, written = 0, 0
    while True:
        batch = list(qs.filter(pk__gt=last_pk)[:BATCH])
        if not batch:
            break
        for h in batch:
            writer.writerow([h.kk_number, h.kelurahan.code, h.kelurahan.name, h.address, h.rt, h.rw, h.n_members])
        last_pk = batch[-1].pk
        written += len(batch)
        ctx.advance(len(batch))
    ctx.log(str(_("%(n)d households written.") % {"n": written}))
    ctx.save_result_file(f"households-{timezone.localtime():%Y%m%d-%H%M%S}.csv", buffer.getvalue().encode())
    audit.record(
        actor=actor,
        action="registry.export",
        object_type="registry.household",
        object_repr=f"{written} households",
        after={"rows": written},
    )
    return {"rows": written}
