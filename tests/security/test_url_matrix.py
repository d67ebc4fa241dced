"""Every page and API route, requested by every persona that must not get data from it.

The routes are read from the URL resolver, so a page is covered the day it is added, and a route
with no entry in ROUTES fails the suite until someone says what it needs. Each check requests every
route, collects every failure, and reports them together:

- anonymous: a page sends to the login page, the API answers 401 (only PUBLIC routes answer);
- the operator of Kelurahan Manggar, and a Dinas Sosial manager assigned to Manggar only, asking for
  the objects of Kelurahan Damai: 403 or 404 — never the object; and no page or API answer they get
  names a family of Damai (its KK numbers, its people's names or NIKs);
- the auditor, for every write (a POST): 403 (or 405 where the route takes no POST);
- the partner: no personal data anywhere (no KK number, name or NIK of any family).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.core.models import Job
from entas.dedup.models import MemberMerge
from entas.participation.models import Forum, ForumDecision, Proposal
from entas.payees.models import Payee
from entas.programs import services as programmes
from entas.programs.models import Cycle, Entitlement, Programme, ShockFlag
from entas.registry import services as registry
from entas.registry.models import ChangeRequest, Household
from entas.targeting import services as targeting
from tests.conftest import DAMAI, MANGGAR, make_household
from tests.helpers import make_pair, make_programme

pytestmark = pytest.mark.django_db


@dataclass
class World:
    """Objects of both kelurahan, and what of Damai must never reach a Manggar user."""

    damai: Household
    damai_other: Household
    manggar: Household
    change: ChangeRequest
    programme: Programme
    cycle: Cycle
    pair: Any
    merge: MemberMerge
    job: Job
    secrets: dict[str, list[str]] = field(default_factory=dict)
    group: Any = None  # a business group of Damai, its chair one of Damai's people
    record: Any = None  # the programme's record in the policy register
    adjustment: Any = None
    case: Any = None  # a citizen's complaint about Damai (entas.portal)
    cohort: Any = None
    application: Any = None
    evaluation: Any = None  # a saved impact evaluation and a simulated scenario (city-wide aggregates)
    scenario: Any = None
    forum: Any = None  # Damai's musyawarah, deciding on a household of Damai
    proposal: Any = None  # a Musrenbang proposal of Damai
    contribution: Any = None  # a partner's contribution to the probe programme, in Damai
    campaign: Any = None  # an awareness campaign (the city's), with an event in Damai attended by Damai's people
    event: Any = None
    exchange: Any = None  # a DTSEN import naming a family of Damai (entas.interop)
    report: Any = None  # an official report (city-wide aggregates) with one draft version
    webhook: Any = None  # a webhook subscription (entas.webhooks): administrators only


@dataclass(frozen=True)
class Route:
    """What a route needs to be requested: its URL arguments (from the world), its methods, a POST's
    data, and whether it points at an object of Damai (then a Manggar user must get 403/404)."""

    kwargs: Callable[[World], dict[str, Any]] = lambda w: {}
    methods: tuple[str, ...] = ("GET",)
    data: dict[str, Any] = field(default_factory=dict)
    damai_object: bool = False
    api: bool = False
    own_account: bool = False  # a write to the user's own account (a password): everyone's right


def _household(w: World) -> dict[str, Any]:
    return {"pk": w.damai.pk}


# Routes anyone may open, signed in or not.
# /health/ answers states and counts only (no personal data), for a load balancer or a supervisor.
PUBLIC = {"login", "logout", "set_language", "health", "api:openapi-json", "api:openapi-view", "api:api-root"}
# The citizen portal: its front page, the complaint form (answers with the new case's tracking code)
# and the status by code (a POSTed code opens one case: its state and public answers only).
# Cek bansos (registered or not, verification status, programme names; the same answer for an unknown
# NIK and a wrong name, every check rate-limited and logged with the NIK hashed).
PUBLIC |= {"portal:home", "portal:complaint", "portal:track", "portal:check"}
# Open data: counts with small-cell suppression (k = 10, complementary), their downloads and the DCAT
# catalogue; no table holds a person (tests/portal/test_public_crawl.py scans every answer).
PUBLIC |= {"portal:open_data", "portal:open_data_download", "portal:open_data_catalogue"}
# Probes and the metrics scraper (operations, issue #27): states and counts only; /metrics answers 404
# unless ENTAS_METRICS_TOKEN is set and 401 without that bearer token (tests/ops/test_observability.py).
PUBLIC |= {"live", "ready", "metrics"}
# The DCI social-registry interface (machine to machine, docs/interop.md): its own OAuth2 client
# credentials and bearer JWTs, answering 401 to anyone without one (a signed-in session included), and
# our public keys; tests/interop/test_dci.py checks each.
PUBLIC |= {"dci:jwks", "dci:token", "dci:search", "dci:sync_search", "dci:txn_status", "dci:sync_txn_status"}
PUBLIC |= {"dci:subscribe", "dci:unsubscribe"}
# The API's OAuth token endpoint (RFC 6749 client credentials, docs/api.md): machines only; without a
# client's credentials it answers 401 invalid_client (GET 405); tests/accounts/test_oauth.py.
PUBLIC |= {"oauth_token"}

ROUTES: dict[str, Route] = {
    "home": Route(),
    "password_change": Route(methods=("GET", "POST"), own_account=True),
    "jobs:list": Route(),
    "jobs:detail": Route(lambda w: {"pk": w.job.pk}, damai_object=True),
    "jobs:download": Route(lambda w: {"pk": w.job.pk}, damai_object=True),
    "jobs:rerun": Route(lambda w: {"pk": w.job.pk}, methods=("POST",), damai_object=True),
    "audit:list": Route(),
    "registry:household_list": Route(),
    "registry:export": Route(methods=("POST",), data={"format": "csv"}),
    "registry:import": Route(methods=("GET", "POST")),
    "registry:import_template": Route(),
    "registry:register_household": Route(methods=("GET", "POST")),
    "registry:household_detail": Route(_household, damai_object=True),
    "registry:reveal_nik": Route(
        lambda w: {"pk": w.damai.pk, "member_pk": w.damai.members.first().pk},  # type: ignore[union-attr]
        methods=("POST",),
        damai_object=True,
    ),
    "registry:household_edit": Route(_household, methods=("GET", "POST"), damai_object=True),
    "registry:household_verify": Route(_household, methods=("GET", "POST"), damai_object=True),
    "registry:change_request_new": Route(
        lambda w: {"pk": w.damai.pk, "kind": "remove_member"}, methods=("GET", "POST"), damai_object=True
    ),
    "registry:change_requests": Route(),
    "registry:change_request_decide": Route(
        lambda w: {"request_pk": w.change.pk}, methods=("POST",), data={"decision": "approve"}, damai_object=True
    ),
    "registry:change_request_nik": Route(lambda w: {"request_pk": w.change.pk}, methods=("POST",), damai_object=True),
    "registry:ratification": Route(methods=("GET", "POST"), data={"kelurahan": 0}),
    # The data-subject access report, asked for the head of the Damai family (make_household's NIK).
    "registry:privacy_report": Route(methods=("GET", "POST"), data={"nik": "6471060101809020", "format": "json"}),
    "registry:ratified_list": Route(lambda w: {"kelurahan_code": DAMAI, "fmt": "xlsx"}, damai_object=True),
    "monitoring:poverty_profile": Route(),
    "monitoring:reference_data": Route(methods=("GET", "POST"), data={"kind": "lines"}),
    "monitoring:dashboard": Route(methods=("GET", "POST"), data={"full": "0"}),
    "monitoring:dashboard_csv": Route(data={"indicator": "none"}),
    "monitoring:framework": Route(),
    "monitoring:small_area": Route(),
    "monitoring:programme": Route(lambda w: {"pk": w.record.pk}),
    "monitoring:indicators": Route(methods=("GET", "POST")),
    # The hostile city's official series (tests/security/xss.py); absent here: 404 after the role checks.
    "monitoring:official_values": Route(
        lambda w: {"code": "hostile-official"}, methods=("GET", "POST"), data={"action": "confirm"}
    ),
    "targeting:report": Route(),
    "targeting:overrides": Route(methods=("GET", "POST")),
    "targeting:rules": Route(),
    "targeting:rule_new": Route(
        methods=("GET", "POST"), data={"name": "probe", "expression": "desil <= 4", "benefit": 1}
    ),
    "targeting:rule": Route(
        lambda w: {"pk": w.programme.rule_id},
        methods=("GET", "POST"),
        data={"name": "Semua", "expression": "desil <= 4", "benefit": 1},
    ),
    "targeting:rule_preview": Route(),
    "targeting:pmt": Route(methods=("GET", "POST"), data={"action": "choose", "model": 0}),
    "dedup:queue": Route(methods=("GET", "POST")),
    "dedup:pair": Route(lambda w: {"pk": w.pair.pk}, methods=("GET", "POST"), damai_object=True),
    "dedup:model": Route(),
    "dedup:use_default": Route(methods=("POST",)),
    "dedup:unmerge": Route(
        lambda w: {"pk": w.merge.pk}, methods=("POST",), data={"reason": "probe"}, damai_object=True
    ),
    "programs:list": Route(),
    "programs:detail": Route(lambda w: {"pk": w.programme.pk}, methods=("GET", "POST"), data={"enrol": "1"}),
    "programs:cycle": Route(lambda w: {"pk": w.cycle.pk}, methods=("GET", "POST"), data={"step": "submit"}),
    "programs:affected": Route(methods=("GET", "POST")),
    "programs:without_account": Route(lambda w: {"pk": w.cycle.pk}),
    "payees:set_account": Route(
        _household,
        methods=("POST",),
        data={"payee-bank_code": "014", "payee-account_number": "0099887766", "payee-account_holder": "Probe"},
        damai_object=True,
    ),
    "payees:reveal": Route(_household, methods=("POST",), damai_object=True),
    "payees:import": Route(methods=("GET", "POST")),
    # The city's paying account: administrators only.
    "payees:paying_account": Route(
        methods=("GET", "POST"), data={"name": "Probe", "bank_code": "014", "account_number": "1234567890"}
    ),
    "enterprise:groups": Route(),
    "enterprise:group_new": Route(
        methods=("GET", "POST"),
        data={"name": "Probe", "type": "umkm", "kbli": "10792", "kelurahan": 0, "founded": "2025-01-01"},
    ),
    "enterprise:group": Route(
        lambda w: {"pk": w.group.pk}, methods=("GET", "POST"), data={"action": "visit"}, damai_object=True
    ),
    "enterprise:unseat": Route(
        lambda w: {"pk": w.group.pk, "seat": w.group.memberships.get().pk}, methods=("POST",), damai_object=True
    ),
    "enterprise:loan": Route(
        lambda w: {"pk": w.group.loans.get().pk}, methods=("GET", "POST"), data={"action": "repay"}, damai_object=True
    ),
    "enterprise:import": Route(methods=("GET", "POST")),
    "enterprise:grant_pdf": Route(lambda w: {"pk": w.group.grants.get().pk}, damai_object=True),
    "enterprise:results": Route(),
    "programs:create": Route(methods=("GET", "POST")),
    "programs:edit": Route(lambda w: {"pk": w.programme.pk}, methods=("GET", "POST")),
    "programs:confirm": Route(lambda w: {"pk": w.cycle.pk, "step": "cancel"}),
    "programs:payees": Route(lambda w: {"pk": w.cycle.pk}, methods=("GET", "POST")),
    # User administration: administrators only; the accounts of Damai's operator are its objects.
    # The policy register is the city's: shown by role (policy.view), changed by its editors.
    "policy:plan": Route(),
    "policy:export": Route(),
    "policy:adopt": Route(
        lambda w: {"pk": w.record.strategy.plan_id},
        methods=("POST",),
        data={"legal_basis": "Perwali 1/2026", "adopted_on": "2026-01-01", "confirm": "1"},
    ),
    "policy:programme": Route(
        lambda w: {"pk": w.record.pk},
        methods=("GET", "POST"),
        data={"adj-field": "status", "adj-value": "paused", "adj-reason": "probe"},
    ),
    "policy:activity": Route(lambda w: {"pk": w.record.activities.get().pk}),
    "policy:adjustments": Route(),
    "policy:decide": Route(lambda w: {"pk": w.adjustment.pk}, methods=("POST",), data={"decision": "approve"}),
    "policy:realisation": Route(methods=("GET", "POST")),
    "policy:benefits": Route(methods=("GET", "POST")),
    "policy:load": Route(methods=("GET", "POST")),
    "policy:funded": Route(),
    "accounts:user_list": Route(),
    "accounts:user_new": Route(methods=("GET", "POST"), data={"username": "probe", "role": "admin"}),
    "accounts:user_edit": Route(lambda w: {"pk": w.job.created_by_id}, methods=("GET", "POST"), damai_object=True),
    "accounts:user_active": Route(lambda w: {"pk": w.job.created_by_id}, methods=("POST",), damai_object=True),
    "accounts:user_password": Route(lambda w: {"pk": w.job.created_by_id}, methods=("GET", "POST"), damai_object=True),
    # API tokens: everyone's own (creating one is a write to one's own account); service accounts: admins.
    "accounts:token_list": Route(methods=("GET", "POST"), own_account=True),
    "accounts:token_revoke": Route(lambda w: {"pk": 999999}, methods=("POST",), own_account=True),
    "accounts:service_account_new": Route(methods=("POST",), data={"username": "probe", "role": "admin"}),
    # OAuth clients of service accounts: administrators only.
    "accounts:oauth_clients": Route(methods=("GET", "POST")),
    "accounts:oauth_client_revoke": Route(lambda w: {"pk": 999999}, methods=("POST",)),
    "portal:cases": Route(),
    "portal:intake": Route(methods=("GET", "POST")),
    "portal:dashboard": Route(),
    "portal:agenda": Route(),
    "portal:case": Route(
        lambda w: {"pk": w.case.pk}, methods=("GET", "POST"), data={"op": "step", "action": "start"}, damai_object=True
    ),
    "portal:attachment": Route(lambda w: {"pk": w.case.attachments.get().pk}, damai_object=True),
    "portal:usul_register": Route(lambda w: {"pk": w.case.pk}, methods=("GET", "POST"), damai_object=True),
    "portal:verification_tasks": Route(),
    # Skills training: cohorts belong to the city; an application is of its applicant's kelurahan.
    # Awareness campaigns belong to the city; an event lies in its kelurahan, an attendee in theirs.
    "outreach:campaigns": Route(methods=("GET", "POST")),
    "outreach:campaign": Route(lambda w: {"pk": w.campaign.pk}, methods=("GET", "POST"), data={"action": "follow_up"}),
    "outreach:results": Route(lambda w: {"pk": w.campaign.pk}),
    "outreach:materials": Route(lambda w: {"pk": w.campaign.pk}, methods=("GET", "POST")),
    "outreach:material_download": Route(lambda w: {"pk": w.campaign.materials.get().pk}),
    "outreach:event": Route(
        lambda w: {"pk": w.event.pk},
        methods=("GET", "POST"),
        data={"action": "count", "c-sex": "1", "c-age_band": "60+", "c-count": "1"},
        damai_object=True,
    ),
    "training:cohorts": Route(),
    "training:cohort_new": Route(methods=("GET", "POST")),
    "training:catalogue": Route(methods=("GET", "POST")),
    "training:cohort": Route(lambda w: {"pk": w.cohort.pk}),
    "training:apply": Route(lambda w: {"pk": w.cohort.pk}, methods=("POST",), data={"rule": "true"}),
    "training:select": Route(lambda w: {"pk": w.cohort.pk}, methods=("POST",)),
    "training:attendance": Route(lambda w: {"pk": w.cohort.pk, "number": 1}, methods=("GET", "POST")),
    "training:completion": Route(lambda w: {"pk": w.cohort.pk}, methods=("GET", "POST")),
    "training:decide": Route(
        lambda w: {"pk": w.application.pk},
        methods=("POST",),
        data={"status": "selected", "reason": "probe"},
        damai_object=True,
    ),
    "training:apply_member": Route(_household, methods=("POST",), data={"member": 0, "cohort": 0}, damai_object=True),
    "training:tracer": Route(lambda w: {"pk": w.application.pk}, methods=("GET", "POST"), damai_object=True),
    "training:tracer_list": Route(),
    "training:to_register": Route(),
    "training:outcomes": Route(),
    # Impact evaluation and simulation: city-wide aggregates; the TKPK analyst runs, saves and proposes.
    "evaluation:index": Route(),
    "evaluation:new": Route(methods=("GET", "POST")),
    "evaluation:from_system": Route(methods=("GET", "POST")),
    "evaluation:evaluation": Route(lambda w: {"pk": w.evaluation.pk}),
    "evaluation:simulate": Route(methods=("GET", "POST"), data={"run": "1", "rule": "desil <= 1", "base_amount": "1"}),
    "evaluation:scenario": Route(lambda w: {"pk": w.scenario.pk}, methods=("GET", "POST")),
    "evaluation:compare": Route(),  # no id: 404
    "reports:list": Route(),
    "reports:new": Route(methods=("GET", "POST")),
    "reports:detail": Route(lambda w: {"pk": w.report.pk}),
    "reports:generate": Route(lambda w: {"pk": w.report.pk}, methods=("POST",)),
    "reports:narrative": Route(lambda w: {"pk": w.report.pk}, methods=("POST",)),
    "reports:finalise": Route(lambda w: {"pk": w.report.pk}, methods=("POST",)),
    "reports:diff": Route(lambda w: {"pk": w.report.pk, "number": 1}),
    "reports:download": Route(lambda w: {"pk": w.report.pk, "number": 1, "fmt": "xlsx"}),
    "api:list_evaluations": Route(api=True),
    "api:get_evaluation": Route(lambda w: {"evaluation_id": w.evaluation.pk}, api=True),
    "api:list_scenarios": Route(api=True),
    "api:simulate": Route(methods=("POST",), api=True, data={"rule": "desil <= 1", "base_amount": 1}),
    # Participation: a forum is of its area; a musyawarah's decisions and its berita acara name households.
    "interop:index": Route(
        methods=("GET", "POST"), data={"action": "siks", "siks-period": "2026-06", "siks-berita_acara": "BA"}
    ),
    "interop:comparison": Route(lambda w: {"pk": w.exchange.pk}),
    "interop:callers": Route(methods=("GET", "POST")),
    "interop:caller_active": Route(lambda w: {"pk": w.exchange.pk}, methods=("POST",)),
    "interop:rotate_keys": Route(methods=("POST",)),
    # Webhook subscriptions and their delivery logs: administrators only.
    "webhooks:list": Route(methods=("GET", "POST")),
    "webhooks:detail": Route(lambda w: {"pk": w.webhook.pk}),
    "webhooks:disable": Route(lambda w: {"pk": w.webhook.pk}, methods=("POST",)),
    "webhooks:rotate": Route(lambda w: {"pk": w.webhook.pk}, methods=("POST",), data={"overlap_hours": "1"}),
    "participation:forums": Route(),
    "participation:forum_new": Route(methods=("GET", "POST")),
    "participation:forum": Route(lambda w: {"pk": w.forum.pk}, methods=("GET", "POST"), damai_object=True),
    "participation:minutes": Route(lambda w: {"pk": w.forum.pk}, damai_object=True),
    "participation:scan": Route(lambda w: {"pk": w.forum.pk}, methods=("POST",), damai_object=True),
    "participation:scan_download": Route(lambda w: {"pk": w.forum.pk}, damai_object=True),
    "participation:proposals": Route(),
    "participation:proposal_new": Route(methods=("GET", "POST")),
    "participation:proposal": Route(lambda w: {"pk": w.proposal.pk}, methods=("GET", "POST"), damai_object=True),
    # Partners are the city's (the register's readers); a contribution's report is its partner's.
    "participation:partners": Route(),
    "participation:partner_new": Route(methods=("GET", "POST")),
    "participation:partner_edit": Route(lambda w: {"pk": w.contribution.partner_id}, methods=("GET", "POST")),
    "participation:contribution_new": Route(methods=("GET", "POST")),
    "participation:contribution_edit": Route(lambda w: {"pk": w.contribution.pk}, methods=("GET", "POST")),
    "participation:portal": Route(),
    "participation:report_upload": Route(lambda w: {"pk": w.contribution.pk}, methods=("POST",)),
    "participation:report_download": Route(lambda w: {"pk": w.contribution.pk}),
    "participation:proposal_fund": Route(
        lambda w: {"pk": w.proposal.pk}, methods=("POST",), data={"programme": "P1"}, damai_object=True
    ),
    "api:list_outreach_campaigns": Route(api=True),
    "api:get_outreach_campaign": Route(lambda w: {"campaign_id": w.campaign.pk}, api=True),
    "api:outreach_events": Route(lambda w: {"campaign_id": w.campaign.pk}, api=True),
    "api:outreach_results": Route(lambda w: {"campaign_id": w.campaign.pk}, api=True),
    "api:list_forums": Route(methods=("GET", "POST"), api=True),
    "api:create_forum": Route(methods=("GET", "POST"), api=True),
    "api:get_forum": Route(lambda w: {"forum_id": w.forum.pk}, api=True, damai_object=True),
    "api:forum_decisions": Route(
        lambda w: {"forum_id": w.forum.pk},
        methods=("GET", "POST"),
        data={"kk_number": "0", "action": "keep"},
        api=True,
        damai_object=True,
    ),
    "api:record_forum_decision": Route(
        lambda w: {"forum_id": w.forum.pk},
        methods=("GET", "POST"),
        data={"kk_number": "0", "action": "keep"},
        api=True,
        damai_object=True,
    ),
    "api:list_proposals": Route(methods=("GET", "POST"), api=True),
    "api:create_proposal": Route(methods=("GET", "POST"), api=True),
    "api:proposals_report": Route(api=True),
    "api:get_proposal": Route(lambda w: {"proposal_id": w.proposal.pk}, api=True, damai_object=True),
    "api:review_proposal": Route(
        lambda w: {"proposal_id": w.proposal.pk},
        methods=("POST",),
        data={"forum_id": 0, "outcome": "accepted"},
        api=True,
        damai_object=True,
    ),
    "api:fund_proposal": Route(
        lambda w: {"proposal_id": w.proposal.pk},
        methods=("POST",),
        data={"programme": "P1"},
        api=True,
        damai_object=True,
    ),
    "api:list_partners": Route(methods=("GET", "POST"), api=True),
    "api:save_partner": Route(methods=("GET", "POST"), api=True),
    "api:list_contributions": Route(methods=("GET", "POST"), api=True),
    "api:record_contribution": Route(methods=("GET", "POST"), api=True),
    "api:own_contributions": Route(api=True),
    "api:list_cases": Route(api=True),
    "api:get_case": Route(lambda w: {"case_id": w.case.pk}, api=True, damai_object=True),
    "api:add_case_note": Route(
        lambda w: {"case_id": w.case.pk},
        methods=("POST",),
        data={"kind": "internal", "text": "x"},
        api=True,
        damai_object=True,
    ),
    "api:take_case_step": Route(
        lambda w: {"case_id": w.case.pk}, methods=("POST",), data={"action": "start"}, api=True, damai_object=True
    ),
    "api:list_training_cohorts": Route(api=True),
    "api:get_training_cohort": Route(lambda w: {"cohort_id": w.cohort.pk}, api=True),
    "api:training_applications": Route(lambda w: {"cohort_id": w.cohort.pk}, api=True),
    "api:training_apply": Route(
        lambda w: {"cohort_id": w.cohort.pk}, methods=("POST",), data={"rule": "true"}, api=True
    ),
    "api:training_select": Route(lambda w: {"cohort_id": w.cohort.pk}, methods=("POST",), api=True),
    "api:training_outcomes": Route(api=True),
    "api:reports_list": Route(api=True),
    "api:reports_versions": Route(lambda w: {"report_id": w.report.pk}, api=True),
    "api:reports_download": Route(lambda w: {"report_id": w.report.pk, "number": 1, "fmt": "pdf"}, api=True),
    "api:reports_generate": Route(methods=("POST",), data={"kind": "lp2kd", "year": 2026}, api=True),
    # The gaps closed in issue #26 (tests/api/test_registry_files.py and its neighbours): the registry's
    # ratification, import and export files; PMT models and overrides; shock flags; surveys, the poverty
    # profile and small-area estimates; a report's narrative, finalising, draft files and changes.
    "api:registry_ratification": Route(api=True),
    "api:registry_ratify": Route(lambda w: {"kelurahan_code": DAMAI}, methods=("POST",), api=True, damai_object=True),
    "api:registry_import": Route(methods=("POST",), data={"source": "operator"}, api=True),
    "api:registry_export": Route(methods=("POST",), data={"format": "csv"}, api=True),
    "api:registry_export_file": Route(lambda w: {"job_id": w.job.pk}, api=True, damai_object=True),
    "api:registry_import_rejected": Route(lambda w: {"job_id": w.job.pk}, api=True, damai_object=True),
    "api:targeting_pmt_models": Route(api=True),
    "api:targeting_pmt_fit": Route(methods=("POST",), data={"survey": 0}, api=True),
    "api:targeting_pmt_choose": Route(lambda w: {"model_id": 0}, methods=("POST",), api=True),
    "api:targeting_pmt_score": Route(lambda w: {"model_id": 0}, methods=("POST",), api=True),
    "api:targeting_overrides": Route(methods=("GET", "POST"), api=True),
    "api:targeting_override_record": Route(
        methods=("GET", "POST"),
        data={
            "rule": 0,
            "kk_number": "6471060101200002",
            "action": "add",
            "reason": "probe",
            "berita_acara": "BA-1",
            "decided_on": "2026-01-05",
        },
        api=True,
    ),
    "api:programmes_shock_flags": Route(methods=("GET", "POST"), api=True),
    "api:programmes_flag_affected": Route(
        methods=("GET", "POST"),
        data={"kk_number": "6471060101200002", "event": "Banjir", "kind": "disaster"},
        api=True,
    ),
    # A refused row echoes the KK number the caller sent (its own input, refused as unknown whether it
    # names a family elsewhere or none): the probe sends one of no family. Damai's own KK number is
    # refused as unknown in tests/api/test_shock_flags.py.
    "api:programmes_flag_affected_bulk": Route(
        methods=("POST",),
        data={"event": "Banjir", "kind": "disaster", "rows": [{"kk_number": "6471069999999999"}]},
        api=True,
    ),
    "api:monitoring_surveys": Route(methods=("GET", "POST"), api=True),
    "api:monitoring_survey_import": Route(methods=("GET", "POST"), api=True),
    "api:monitoring_poverty_profile": Route(api=True),
    "api:monitoring_small_area": Route(api=True),
    "api:reports_narrative": Route(lambda w: {"report_id": w.report.pk}, api=True),
    "api:reports_narrative_write": Route(lambda w: {"report_id": w.report.pk}, api=True),
    "api:reports_finalise": Route(
        lambda w: {"report_id": w.report.pk}, methods=("POST",), data={"confirm": True}, api=True
    ),
    "api:reports_draft_file": Route(lambda w: {"report_id": w.report.pk, "number": 1, "fmt": "pdf"}, api=True),
    "api:reports_changes": Route(lambda w: {"report_id": w.report.pk, "number": 1}, api=True),
    "api:monitoring_indicators": Route(api=True),
    "api:monitoring_indicator_values": Route(lambda w: {"code": "none"}, api=True),
    "api:monitoring_framework": Route(api=True),
    "api:monitoring_refresh": Route(methods=("POST",), data={"full": False}, api=True),
    "api:list_regions": Route(api=True),
    "api:list_households": Route(api=True),
    "api:get_household": Route(lambda w: {"household_id": w.damai.pk}, api=True, damai_object=True),
    "api:get_account": Route(lambda w: {"household_id": w.damai.pk}, api=True, damai_object=True),
    "api:set_account": Route(
        lambda w: {"household_id": w.damai.pk},
        methods=("POST",),
        data={"bank_code": "014", "account_number": "9876543210", "account_holder": "Probe"},
        api=True,
        damai_object=True,
    ),
    "api:get_job": Route(lambda w: {"job_id": w.job.pk}, api=True, damai_object=True),
    "api:verify_household": Route(
        lambda w: {"household_id": w.damai.pk},
        methods=("POST",),
        data={"visit_date": "2026-01-05", "confirmed": True},
        api=True,
        damai_object=True,
    ),
    "api:request_change": Route(
        lambda w: {"household_id": w.damai.pk},
        methods=("POST",),
        data={"kind": "new_kk", "payload": {"kk_number": "6471060101299999"}, "reason": "probe"},
        api=True,
        damai_object=True,
    ),
    "api:list_changes": Route(api=True),
    "api:decide_change": Route(
        lambda w: {"change_id": w.change.pk}, methods=("POST",), data={"approve": True}, api=True, damai_object=True
    ),
    "api:list_rules": Route(methods=("GET", "POST"), data={"name": "probe", "expression": "desil <= 1"}, api=True),
    "api:save_rule": Route(methods=("GET", "POST"), data={"name": "probe", "expression": "desil <= 1"}, api=True),
    "api:preview": Route(api=True),
    "api:list_programmes": Route(api=True),
    "api:get_programme": Route(lambda w: {"programme_id": w.programme.pk}, api=True),
    "api:enrol": Route(lambda w: {"programme_id": w.programme.pk}, methods=("POST",), api=True),
    "api:list_cycles": Route(lambda w: {"programme_id": w.programme.pk}, methods=("GET", "POST"), api=True),
    "api:create_cycle": Route(lambda w: {"programme_id": w.programme.pk}, methods=("GET", "POST"), api=True),
    "api:get_cycle": Route(lambda w: {"cycle_id": w.cycle.pk}, api=True),
    "api:cycle_step": Route(lambda w: {"cycle_id": w.cycle.pk, "step": "submit"}, methods=("POST",), api=True),
    "api:failed_payments": Route(lambda w: {"cycle_id": w.cycle.pk}, api=True),
    "api:cycle_payments": Route(lambda w: {"cycle_id": w.cycle.pk}, api=True),
    # A new family (POST on the households list; a Manggar user naming Damai's kelurahan is refused) and
    # a household's edit (PATCH on the household: tests/api/test_more_endpoints.py; GET here is its read).
    "api:register_household": Route(
        methods=("GET", "POST"),
        data={
            "kelurahan": DAMAI,
            "kk_number": "6471060101299998",
            "members": [
                {
                    "nik": "6471060101809998",
                    "name": "Probe",
                    "sex": "1",
                    "birth_date": "1980-01-01",
                    "relationship": "1",
                }
            ],
        },
        api=True,
    ),
    "api:edit_household": Route(lambda w: {"household_id": w.damai.pk}, api=True, damai_object=True),
    "api:policy_realisation": Route(
        methods=("POST",), data={"rows": [{"activity_code": "probe", "month": "2026-01", "realised": 1}]}, api=True
    ),
    "api:queue": Route(api=True),
    "api:list_groups": Route(api=True),
    "api:get_group": Route(lambda w: {"group_id": w.group.pk}, api=True, damai_object=True),
    "api:record_report": Route(
        lambda w: {"group_id": w.group.pk},
        methods=("POST",),
        data={"period": "month", "period_start": "2025-01-01", "revenue": 1, "costs": 1},
        api=True,
        damai_object=True,
    ),
    "api:record_repayment": Route(
        lambda w: {"loan_id": w.group.loans.get().pk},
        methods=("POST",),
        data={"reference": "PROBE", "paid_on": "2024-03-01", "amount": 1},
        api=True,
        damai_object=True,
    ),
    "api:results": Route(api=True),
    "api:policy_register": Route(api=True),
    "api:policy_programme": Route(lambda w: {"record_id": w.record.pk}, api=True),
    "api:policy_propose": Route(
        lambda w: {"record_id": w.record.pk},
        methods=("POST",),
        data={"field": "status", "value": "stopped", "reason": "probe"},
        api=True,
    ),
    "api:policy_decide": Route(
        lambda w: {"adjustment_id": w.adjustment.pk}, methods=("POST",), data={"approve": True}, api=True
    ),
    "api:household_benefits": Route(lambda w: {"household_id": w.damai.pk}, api=True, damai_object=True),
    "api:decide": Route(
        lambda w: {"pair_id": w.pair.pk},
        methods=("POST",),
        data={"decision": "same", "reason": "probe"},
        api=True,
        damai_object=True,
    ),
}


def _routes(patterns: list[Any], namespace: str = "") -> Iterator[str]:
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":
                continue  # the admin has its own test (tests/security/test_admin.py)
            yield from _routes(p.url_patterns, namespace + (f"{p.namespace}:" if p.namespace else ""))
        elif isinstance(p, URLPattern):
            yield namespace + (p.name or str(p.pattern))


def test_every_route_has_an_expectation() -> None:
    """A new page or endpoint must say here what it needs; a removed one must leave."""
    names = set(_routes(get_resolver().url_patterns))
    missing = sorted(names - set(ROUTES) - PUBLIC)
    stale = sorted((set(ROUTES) | PUBLIC) - names)
    assert not missing, f"routes with no expectation in ROUTES (add them): {missing}"
    assert not stale, f"expectations for routes that no longer exist (remove them): {stale}"


@pytest.fixture
def world(regions: dict[str, Any], make_user: Callable[..., User], operator_damai: User, partner: User) -> World:
    damai = make_household(regions[DAMAI], "6471060101200002", members=4)
    damai_other = make_household(regions[DAMAI], "6471060101200003", members=2)
    manggar = make_household(regions[MANGGAR], "6471010101200001")
    manager = make_user("dinsos.kota", Role.DINSOS_MANAGER, ["64.71"])
    change = registry.request_change(
        actor=operator_damai,
        household=damai,
        kind="remove_member",
        payload={"member_id": damai.members.order_by("pk").last().pk},  # type: ignore[union-attr]
        reason="pindah",
    )
    rule = targeting.save_rule(actor=manager, name="Semua", expression="true", benefit=100_000)
    programme = make_programme(rule, name="BLT probe", base_amount=100_000)
    cycle = programmes.create_cycle(programme=programme, period="2026-06", actor=manager)
    for household, flags in ((damai, "kemungkinan ganda"), (manggar, "")):
        Entitlement.objects.create(cycle=cycle, household=household, amount=100_000, flags=flags)
    ShockFlag.objects.create(household=damai, event="Banjir", kind="disaster", reported_by=operator_damai)
    forum = Forum.objects.create(
        kind="musyawarah",
        area=damai.kelurahan,
        held_on=dt.date(2026, 1, 5),
        berita_acara="BA-1",
        chair="Ketua Damai",
        recorded_by=operator_damai,
    )
    ForumDecision.objects.create(
        forum=forum, household=damai, rule=rule, action="add", reason="musyawarah", recorded_by=operator_damai
    )
    left, right = damai.members.order_by("pk")[0], damai_other.members.order_by("pk")[0]
    pair = make_pair(left, right)
    merge = MemberMerge.objects.create(
        survivor=left, merged=right, household_kept=damai, reason="sama", merged_by=operator_damai
    )
    job = Job.objects.create(kind="registry.export", created_by=operator_damai, status=Job.Status.SUCCEEDED)
    job.result_file.save("ekspor-damai.csv", ContentFile(b"kk_number\n6471060101200002\n"))
    people = [m for h in (damai, damai_other) for m in h.members.all()]
    Payee.objects.create(household=damai, bank_code="014", account_number="0123456789", account_holder="Ahli Damai")
    secrets = {
        "account": ["0123456789"],
        "KK": [damai.kk_number, damai_other.kk_number],
        "name": [m.name for m in people],
        "NIK": [m.nik for m in people],
    }
    world = World(damai, damai_other, manggar, change, programme, cycle, pair, merge, job, secrets)
    world.group = _damai_group(damai)
    world.record, world.adjustment = _policy_record(programme, operator_damai)
    world.case = _damai_case(operator_damai)
    secrets["name"].append(world.case.contact_name)
    world.cohort, world.application = _training(damai, make_user)
    world.evaluation, world.scenario = _evaluation(programme, make_user)
    world.forum = forum
    world.proposal = Proposal.objects.create(
        code="USL-DAMAI-1",
        title="Bedah rumah RT 01",
        kelurahan=damai.kelurahan,
        category="housing",
        proposer="RT 01",
        stage="rembug_warga",
        recorded_by=operator_damai,
    )
    world.contribution = _contribution(world.record, damai, make_user, partner)
    world.campaign, world.event = _outreach(damai, make_user)
    world.exchange = _dtsen_import(damai, manager)
    world.report = _report(make_user)
    world.webhook = _webhook(manager)
    return world


def _webhook(owner: User) -> Any:
    """A webhook subscription with one delivery about Damai's family (entas.webhooks)."""
    from entas.webhooks.models import Delivery, Subscription

    subscription = Subscription.objects.create(
        name="Bank", owner=owner, url="https://bank.example/hook", events=["household.changed"], secret="whsec_x"
    )
    Delivery.objects.create(subscription=subscription, event="household.changed", event_id="evt_probe", body={})
    return subscription


def _dtsen_import(damai: Household, manager: User) -> Any:
    """A DTSEN file imported by the city, one of its records Damai's family."""
    from entas.interop.models import Exchange, NationalRecord

    exchange = Exchange.objects.create(kind="dtsen_import", file_name="dtsen.csv", actor=manager)
    NationalRecord.objects.create(
        exchange=exchange, row=2, kk_number=damai.kk_number, desil=1, members=9, household=damai
    )
    return exchange


def _report(make_user: Callable[..., User]) -> Any:
    """A programme report's draft (entas.reports): a document of one table, no personal data."""
    from entas.reports.document import Document, Section, Table
    from entas.reports.models import Report, ReportVersion

    analyst = make_user("tkpk.laporan", Role.TKPK_ANALYST, ["64.71"])
    report = Report.objects.create(kind="lp2kd", year=2026, created_by=analyst)
    table = Table(key="t", title="Uji", columns=["A", "B"], rows=[["x", 1]], formats=["text", "int"])
    doc = Document("lp2kd", "LP2KD", "Kota Balikpapan", "2026", "2026-12-31", [Section("s", "S", [table])])
    ReportVersion.objects.create(
        report=report, number=1, snapshot=dt.date(2026, 12, 31), document=doc.as_dict(), generated_by=analyst
    )
    return report


def _contribution(record: Any, damai: Household, make_user: Callable[..., User], partner_user: User) -> Any:
    """A partner (the matrix's partner persona signs in for it) funding the probe programme in Damai."""
    from entas.participation.models import Contribution, Partner

    partner = Partner.objects.create(code="probe", name="Mitra Probe", kind="csr")
    partner.users.set([partner_user])
    return Contribution.objects.create(
        partner=partner,
        kind="cash",
        description="Dana probe",
        record=record,
        kelurahan=damai.kelurahan,
        year=2026,
        pledged_value=1_000,
        delivered_value=500,
        recorded_by=make_user("bappeda.probe", Role.TKPK_ANALYST, ["64.71"]),
    )


def _evaluation(programme: Programme, make_user: Callable[..., User]) -> tuple[Any, Any]:
    """A saved evaluation and a saved scenario of the probe programme (aggregates only)."""
    from entas.evaluation.models import Evaluation, Scenario

    analyst = make_user("tkpk.evaluasi", Role.TKPK_ANALYST, ["64.71"])
    result = {
        "method": "did_twfe",
        "effect": 1.0,
        "se": 0.5,
        "ci_low": 0.02,
        "ci_high": 1.98,
        "n": 40,
        "causal": True,
        "warnings": [],
        "diagnostics": {},
    }
    evaluation = Evaluation.objects.create(
        title="Uji",
        method="did",
        specification={"method": "did"},
        source="uji.csv",
        snapshot_date=dt.date(2026, 1, 1),
        result=result,
        created_by=analyst,
    )
    figures = {"households": 1, "people": 4, "cost": 3_600_000, "by_kecamatan": [], "incidence_by_desil": []}
    scenario = Scenario.objects.create(
        title="Uji",
        programme=programme,
        specification={"rule": "desil <= 1"},
        result=figures,
        survey="Susenas",
        created_by=analyst,
    )
    return evaluation, scenario


def _outreach(damai: Household, make_user: Callable[..., User]) -> tuple[Any, Any]:
    """A campaign with an event in Damai that two of Damai's people attended."""
    from entas.outreach import services as outreach

    officer = make_user("kampanye.kota", Role.TRAINING_OFFICER, ["64.71"])
    campaign, _ = outreach.save_campaign(
        code="probe",
        name="Kampanye Probe",
        theme="jkn",
        channel="seminar",
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
        actor=officer,
    )
    event, _ = outreach.save_event(
        campaign=campaign,
        code="probe-1",
        date=dt.date(2026, 2, 1),
        kelurahan=damai.kelurahan,
        venue="Aula",
        actor=officer,
    )
    for member in damai.members.order_by("pk")[:2]:
        outreach.record_attendee(event=event, nik=member.nik, actor=officer)
    leaflet = SimpleUploadedFile("leaflet.pdf", b"%PDF-1.4 leaflet")
    outreach.upload_material(campaign=campaign, title="Leaflet JKN", upload=leaflet, actor=officer)
    return campaign, event


def _policy_record(programme: Programme, proposer: User) -> tuple[Any, Any]:
    """The probe programme in a plan of the policy register, with an adjustment waiting."""
    from entas.accounts.models import Opd
    from entas.policy.models import Activity, Adjustment, Plan, ProgrammeRecord, Strategy

    opd = Opd.objects.create(code="DINSOS", name="Dinas Sosial")
    plan = Plan.objects.create(code="RPKD-PROBE", title="Probe", start_year=2025, end_year=2029)
    strategy = Strategy.objects.create(plan=plan, code="S1", name="Probe")
    record = ProgrammeRecord.objects.create(programme=programme, strategy=strategy, code="P1", lead_opd=opd)
    Activity.objects.create(record=record, code="1.06.04.2.01.0001", name="Probe", opd=opd)
    adjustment = Adjustment.objects.create(
        record=record,
        field="status",
        before="active",
        after="paused",
        reason="probe",
        effective_on=dt.date(2026, 1, 1),
        proposed_by=proposer,
    )
    return record, adjustment


def _damai_case(officer: User) -> Any:
    """A walk-in complaint about Damai with a (never stored) attachment."""
    from entas.portal import services as portal
    from entas.portal.models import CaseAttachment

    case = portal.file_case(
        category="payment_not_received",
        kelurahan=officer.areas.get(),
        description="Bantuan belum diterima bulan ini.",
        contact_name="Pelapor Damai Sintetis",
        channel="walk_in",
        actor=officer,
    ).case
    CaseAttachment.objects.create(
        case=case, file="portal/missing.png", name="lampiran.png", content_type="image/png", size=1
    )
    return case


def _damai_group(damai: Household) -> Any:
    from entas.enterprise.models import Grant, Group, Loan, Membership

    group = Group.objects.create(
        name="KUBE Damai", type="kube", kbli="10792", kelurahan=damai.kelurahan, founded=dt.date(2024, 1, 1)
    )
    Membership.objects.create(
        group=group, member=damai.members.order_by("pk")[0], role="chair", joined_on=group.founded
    )
    Grant.objects.create(
        group=group, kind="cash", amount=1_000_000, handed_over_on=dt.date(2024, 2, 1), handover_reference="BAST-D"
    )
    Loan.objects.create(
        group=group,
        reference="DB-DAMAI",
        principal=1_000_000,
        term_months=10,
        disbursed_on=dt.date(2024, 2, 1),
        first_due=dt.date(2024, 3, 1),
    )
    return group


def _training(damai: Household, make_user: Callable[..., User]) -> tuple[Any, Any]:
    """A cohort with an applicant of Damai (a member of the Damai family)."""
    from entas.training import services as training
    from entas.training.models import Course, Provider

    officer = make_user("pelatihan.kota", Role.TRAINING_OFFICER, ["64.71"])
    provider = Provider.objects.create(code="blki", name="UPTD BLKI", kind="blk")
    course = Course.objects.create(provider=provider, code="las", name="Las", competency_area="Las", hours=10)
    cohort, _ = training.save_cohort(
        course=course, code="las-1", start=dt.date(2026, 1, 5), end=dt.date(2026, 1, 9), seats=2, actor=officer
    )
    member = damai.members.order_by("pk").first()
    assert member is not None
    training.apply_members(cohort=cohort, members=[member], actor=officer)
    return cohort, cohort.applications.get()


def _request(client: Client, name: str, route: Route, world: World, method: str) -> Any:
    url = reverse(name, kwargs=route.kwargs(world))
    if method == "GET":
        return client.get(url)
    if route.api:
        return client.post(url, route.data, content_type="application/json")
    return client.post(url, route.data)


def _leaks(response: Any, secrets: dict[str, list[str]]) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", errors="replace")
    return [f"{kind} {value}" for kind, values in secrets.items() for value in values if value in text]


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_anonymous_users_are_sent_to_log_in(world: World) -> None:
    failures = []
    client = _client(None)
    for name, route in ROUTES.items():
        for method in route.methods:
            response = _request(client, name, route, world, method)
            if route.api:
                ok = response.status_code == 401
            else:
                ok = response.status_code == 302 and response.url.startswith(reverse("login"))
            if not ok:
                failures.append(f"{method} {name}: {response.status_code}")
    assert not failures, "reachable without logging in:\n" + "\n".join(failures)


@pytest.mark.parametrize("persona", ["operator", "manager"])
def test_manggar_users_get_nothing_of_damai(
    world: World, operator_manggar: User, make_user: Callable[..., User], persona: str
) -> None:
    user = operator_manggar if persona == "operator" else make_user("dinsos.manggar", Role.DINSOS_MANAGER, [MANGGAR])
    client = _client(user)
    failures = []
    for name, route in ROUTES.items():
        for method in route.methods:
            response = _request(client, name, route, world, method)
            status = response.status_code
            if route.damai_object and status not in (403, 404, 405):
                failures.append(f"{method} {name}: {status} for an object of Damai")
            elif status == 200 and (leaks := _leaks(response, world.secrets)):
                failures.append(f"{method} {name}: shows {', '.join(leaks)}")
    assert not failures, f"the {persona} of Manggar reached Damai's data:\n" + "\n".join(failures)


def test_the_auditor_writes_nothing(world: World, auditor: User) -> None:
    client = _client(auditor)
    failures = []
    for name, route in ROUTES.items():
        if ("POST" not in route.methods and not route.api) or route.own_account:
            continue
        response = _request(client, name, route, world, "POST")
        if response.status_code not in (403, 405):
            failures.append(f"POST {name}: {response.status_code}")
    assert not failures, "the auditor's POST was not refused:\n" + "\n".join(failures)


def test_the_partner_sees_no_personal_data(world: World, partner: User) -> None:
    client = _client(partner)
    secrets = {
        **world.secrets,
        "KK": [*world.secrets["KK"], world.manggar.kk_number],
        "name": [*world.secrets["name"], *(m.name for m in world.manggar.members.all())],
    }
    failures = []
    for name, route in ROUTES.items():
        if "GET" not in route.methods:
            continue
        response = _request(client, name, route, world, "GET")
        if response.status_code == 200 and (leaks := _leaks(response, secrets)):
            failures.append(f"GET {name}: shows {', '.join(leaks)}")
    assert not failures, "the partner saw personal data:\n" + "\n".join(failures)
