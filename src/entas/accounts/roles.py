"""Roles and what each may do. Pure data: the one place that says who can do what.

Where a role can act is a separate question, answered by the user's assigned areas
(:mod:`entas.accounts.scoping`).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    OPERATOR = "operator", _("Kelurahan operator")
    DINSOS_MANAGER = "dinsos_manager", _("Dinas Sosial programme manager")
    TRAINING_OFFICER = "training_officer", _("Training/UMKM officer")
    TKPK_ANALYST = "tkpk_analyst", _("TKPK analyst")
    AUDITOR = "auditor", _("Auditor")
    PARTNER = "partner", _("Partner")


class Capability(models.TextChoices):
    VIEW_SUMMARY = "summary.view", _("See aggregate figures for own areas")
    VIEW_REGISTRY = "registry.view", _("See households and members in own areas")
    CHANGE_REGISTRY = "registry.change", _("Add and change households in own areas")
    EXPORT_REGISTRY = "registry.export", _("Export households of own areas")
    VIEW_FULL_NIK = "registry.view_nik", _("Reveal a member's full NIK (logged)")
    APPROVE_REGISTRY = "registry.approve", _("Approve family changes and ratify verified households")
    MANAGE_PROGRAMMES = "programmes.manage", _("Prepare programmes and payment cycles")
    APPROVE_PROGRAMMES = "programmes.approve", _("Approve cycles prepared by someone else")
    MANAGE_TRAINING = "training.manage", _("Manage training and micro-business groups")
    VIEW_ANALYTICS = "analytics.view", _("City-wide analytics (aggregates only)")
    VIEW_AUDIT = "audit.view", _("Browse the audit trail")
    RUN_JOBS = "jobs.run", _("Start background jobs")
    MANAGE_REGIONS = "regions.manage", _("Load regions and boundaries")
    MANAGE_USERS = "users.manage", _("Manage user accounts")
    MANAGE_SETTINGS = "settings.manage", _("Set the city's settings (the paying account)")
    VIEW_POLICY = "policy.view", _("See the policy register: plans, programmes, budgets and realisation")
    EDIT_POLICY = "policy.edit", _("Edit the policy register; propose and approve adjustments")
    REALISE_POLICY = "policy.realise", _("Enter budget realisation for the activities of one's own OPD")
    VIEW_FUNDED_POLICY = "policy.view_funded", _("See the programmes one's organisation funds (partners)")
    HANDLE_GRIEVANCES = "grievances.handle", _("Handle citizens' complaints in own areas")
    MANAGE_OUTREACH = "outreach.manage", _("Run awareness campaigns: events, attendance and knowledge tests")
    REPORT_PERSONAL_DATA = "privacy.report", _("Produce a person's personal data report (UU PDP; logged)")
    VIEW_REPORTS = "reports.view", _("Read and download the official reports (LP2KD, RPKD, extreme poverty)")
    EDIT_REPORTS = "reports.edit", _("Generate official reports, write their narrative and finalise them (checker)")


C = Capability
ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.ADMIN: frozenset(Capability),
    Role.OPERATOR: frozenset(
        {
            C.VIEW_SUMMARY,
            C.VIEW_REGISTRY,
            C.CHANGE_REGISTRY,
            C.EXPORT_REGISTRY,
            C.VIEW_FULL_NIK,
            C.RUN_JOBS,
            C.HANDLE_GRIEVANCES,
        }
    ),
    Role.DINSOS_MANAGER: frozenset(
        {
            C.APPROVE_REGISTRY,
            C.VIEW_SUMMARY,
            C.VIEW_REGISTRY,
            C.CHANGE_REGISTRY,
            C.EXPORT_REGISTRY,
            C.VIEW_FULL_NIK,
            C.MANAGE_PROGRAMMES,
            C.APPROVE_PROGRAMMES,
            C.RUN_JOBS,
            C.VIEW_POLICY,
            C.REALISE_POLICY,
            C.HANDLE_GRIEVANCES,
            C.MANAGE_OUTREACH,
            C.REPORT_PERSONAL_DATA,
        }
    ),
    Role.TRAINING_OFFICER: frozenset(
        {
            C.VIEW_SUMMARY,
            C.VIEW_REGISTRY,
            C.MANAGE_TRAINING,
            C.MANAGE_OUTREACH,
            C.RUN_JOBS,
            C.VIEW_POLICY,
            C.REALISE_POLICY,
        }
    ),
    # TKPK analysts plan with figures, not with names: aggregates only (UU PDP data minimisation). The
    # TKPK secretariat (Bappeda) keeps the policy register: it edits it and enters any OPD's realisation.
    Role.TKPK_ANALYST: frozenset(
        {
            C.VIEW_SUMMARY,
            C.VIEW_ANALYTICS,
            C.RUN_JOBS,
            C.VIEW_POLICY,
            C.EDIT_POLICY,
            C.REALISE_POLICY,
            C.VIEW_REPORTS,
            C.EDIT_REPORTS,
        }
    ),
    Role.AUDITOR: frozenset(
        {C.VIEW_SUMMARY, C.VIEW_REGISTRY, C.VIEW_AUDIT, C.VIEW_ANALYTICS, C.VIEW_POLICY, C.VIEW_REPORTS}
    ),
    # A partner (NGO, CSR) sees only what its own programmes touch; programmes grant that access.
    Role.PARTNER: frozenset({C.VIEW_SUMMARY, C.VIEW_FUNDED_POLICY}),
}


def capabilities(role: str) -> frozenset[Capability]:
    try:
        return ROLE_CAPABILITIES[Role(role)]
    except ValueError:
        return frozenset()
