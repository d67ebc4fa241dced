from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from entas.accounts.roles import Capability
from entas.accounts.scoping import visible_regions
from entas.core import jobqueue
from entas.core.decorators import require
from entas.regions.models import RegionLevel

from . import selectors, services
from .choices import RegistrationSource, VerificationStatus
from .columns import ALL_COLUMNS
from .exporter import FORMATS, template_xlsx
from .jobs import IMPORT_DIR
from .models import Household, Member


@require(Capability.VIEW_REGISTRY)
def household_list(request: HttpRequest) -> HttpResponse:
    desil = request.GET.get("desil", "")
    status = request.GET.get("status", "")
    filters = selectors.SearchFilters(
        query=request.GET.get("q", "")[:100],
        kelurahan=request.GET.get("kelurahan", ""),
        status=status if status in VerificationStatus.values else "",
        max_desil=int(desil) if desil.isdigit() and 1 <= int(desil) <= 10 else None,
    )
    qs = selectors.search_households(request.user, filters)  # type: ignore[arg-type]
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    kelurahan = visible_regions(request.user).filter(level=RegionLevel.KELURAHAN)  # type: ignore[arg-type]
    return render(
        request,
        "registry/household_list.html",
        {
            "page": page,
            "filters": filters,
            "kelurahan_options": kelurahan,
            "status_options": VerificationStatus.choices,
            "desil_options": range(1, 11),
        },
    )


def _household_or_404(request: HttpRequest, pk: int) -> Household:
    try:
        return selectors.household_for(request.user, pk)  # type: ignore[arg-type]
    except Household.DoesNotExist:
        raise Http404(_("No such household in your areas.")) from None


@require(Capability.VIEW_REGISTRY)
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household_or_404(request, pk)
    services.record_household_view(actor=request.user, household=household)  # type: ignore[arg-type]
    return render(
        request,
        "registry/household_detail.html",
        {
            "household": household,
            "members": selectors.members_of(household),
            "sections": selectors.household_sections(household),
            "programmes": household.programme_receipts.order_by("-month"),
            "kk_history": household.kk_history.order_by("valid_from"),
            "history": selectors.household_history(household),
        },
    )


@require(Capability.VIEW_FULL_NIK)
@require_POST
def reveal_nik(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    household = _household_or_404(request, pk)
    try:
        member = household.members.get(pk=member_pk)
    except Member.DoesNotExist:
        raise Http404 from None
    nik = services.reveal_nik(actor=request.user, member=member)  # type: ignore[arg-type]
    return render(request, "registry/_nik.html", {"nik": nik})


@require(Capability.EXPORT_REGISTRY)
@require_POST
def export_registry(request: HttpRequest) -> HttpResponse:
    fmt = request.POST.get("format", "csv")
    if fmt not in FORMATS:
        messages.error(request, _("Unknown export format %(fmt)r; use csv, xlsx or parquet.") % {"fmt": fmt})
        return redirect("registry:household_list")
    job = jobqueue.submit(kind="registry.export", params={"format": fmt}, actor=request.user)  # type: ignore[arg-type]
    messages.info(request, _("The export runs in the background; this page shows its progress."))
    return redirect("jobs:detail", pk=job.pk)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_lazy("Registry file (CSV or XLSX)"),
        help_text=_lazy("One row per member, the family's columns repeated on each row. See the template."),
    )
    source = forms.ChoiceField(
        label=_lazy("Source"), choices=RegistrationSource.choices, initial=RegistrationSource.OPERATOR
    )
    dry_run = forms.BooleanField(label=_lazy("Check only (write nothing)"), required=False)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in {".csv", ".txt", ".xlsx"}:
            raise forms.ValidationError(_("%(name)s is not a CSV or XLSX file.") % {"name": upload.name})
        return upload


@require(Capability.CHANGE_REGISTRY)
def import_registry(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        name = f"{IMPORT_DIR}/{timezone.localtime():%Y%m%d-%H%M%S}-{request.user.pk}-{Path(upload.name).name}"
        stored = default_storage.save(name, upload)
        job = jobqueue.submit(
            kind="registry.import",
            params={
                "file": stored,
                "name": upload.name,
                "source": form.cleaned_data["source"],
                "dry_run": form.cleaned_data["dry_run"],
            },
            actor=request.user,  # type: ignore[arg-type]
        )
        messages.info(request, _("The import runs in the background; this page shows its progress."))
        return redirect("jobs:detail", pk=job.pk)
    return render(request, "registry/import.html", {"form": form, "columns": ALL_COLUMNS})


@require(Capability.VIEW_REGISTRY)
def import_template(request: HttpRequest) -> FileResponse:
    out = Path(tempfile.mkstemp(suffix=".xlsx")[1])
    template_xlsx(out)
    return FileResponse(out.open("rb"), as_attachment=True, filename="template-registri-entas.xlsx")
