"""Background job of deduplication: a run over the registry or one kelurahan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.core.errors import Refused
from entas.core.jobqueue import JobContext, job_kind
from entas.regions.models import Region

from . import selectors, services

# Steps a run reports: members read, pairs predicted, clusters formed, pairs stored.
RUN_STEPS = 4


def _run_subject(params: dict[str, Any]) -> tuple[str, str]:
    code = params.get("kelurahan") or ""
    kelurahan = Region.objects.filter(code=code).first() if code else None
    if kelurahan is not None:
        label = _("Kelurahan %(name)s") % {"name": kelurahan.name}
    else:
        label = code or _("The whole registry")
    return reverse("dedup:queue"), str(label)


@job_kind("dedup.run", gettext_lazy("Find duplicate people"), subject=_run_subject)
def run_job(ctx: JobContext) -> dict[str, Any]:
    code = ctx.params.get("kelurahan") or ""
    kelurahan = Region.objects.filter(code=code).first() if code else None
    if code and kelurahan is None:
        raise Refused(_("Unknown kelurahan code %(code)s.") % {"code": code}, code="invalid")
    ctx.set_total(RUN_STEPS)
    try:
        run = services.run(actor=ctx.actor, kelurahan=kelurahan, progress=ctx.advance, log=ctx.log)
    except Refused as exc:
        raise Refused(str(exc)) from exc
    tmp = Path(settings.MEDIA_ROOT) / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    out = tmp / f"pairs-{ctx.job.pk}.csv"
    try:  # the staging copy holds NIKs: removed also when writing or saving fails
        selectors.write_pairs_csv(run, out)
        ctx.save_result_file(f"pasangan-duplikat-{run.pk}.csv", out.read_bytes())
    finally:
        out.unlink(missing_ok=True)
    return {"run": run.pk, "members": run.members, "pairs": run.pairs, "clusters": run.clusters}
