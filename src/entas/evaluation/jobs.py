"""Background jobs of evaluation: an evaluation over the system's own data (a data set of a million
households takes a while to read; its page shows the progress)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.core.jobqueue import JobContext, job_kind

FROM_SYSTEM_KIND = "evaluation.from_system"
STEPS = 5  # treated, outcome, covariates, estimate, saved


@job_kind(FROM_SYSTEM_KIND, gettext_lazy("Evaluate a programme on the system's data"))
def from_system_job(ctx: JobContext) -> dict[str, Any]:
    from . import services

    if ctx.actor is None:
        raise ValueError("an evaluation is run by someone")
    ctx.set_total(STEPS)

    def progress(text: str) -> None:
        ctx.log(text)
        ctx.advance(1)

    params = dict(ctx.params)
    title = str(params.pop("title", ""))
    evaluation = services.run_from_system(actor=ctx.actor, title=title, spec=params, progress=progress)
    url = reverse("evaluation:evaluation", args=[evaluation.pk])
    ctx.log(_("Evaluation saved: %(url)s") % {"url": url})
    ctx.advance(1)
    return {"evaluation": evaluation.pk, "url": url, "effect": evaluation.result.get("effect")}
