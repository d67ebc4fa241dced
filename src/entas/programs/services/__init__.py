"""Writes of cash programmes, split by topic: :mod:`.programmes` (defining a programme),
:mod:`.enrolment` (who is in a programme), :mod:`.cycles` (payment rounds, from preparation to
reconciliation). Every function is a :func:`~entas.core.services.service`: one durable transaction
with its audit event; each checks the actor's role and is safe to re-run. Import the functions from
here (``from entas.programs import services``; ``services.enrol(...)``).
"""

from .cycles import (
    STEPS,
    StepChoice,
    create_cycle,
    prepare,
    reconcile,
    retry_failed,
    run_step,
    step_choices,
    transition,
)
from .enrolment import (
    DUPLICATE_FLAG,
    cycles_planned,
    enrol,
    enrol_by_hand,
    exit_household,
    flag_affected,
    flag_affected_rows,
    needs_scores,
    preview_programme,
)
from .programmes import define_programme

__all__ = [
    "DUPLICATE_FLAG",
    "STEPS",
    "StepChoice",
    "create_cycle",
    "cycles_planned",
    "define_programme",
    "enrol",
    "enrol_by_hand",
    "exit_household",
    "flag_affected",
    "flag_affected_rows",
    "needs_scores",
    "prepare",
    "preview_programme",
    "reconcile",
    "retry_failed",
    "run_step",
    "step_choices",
    "transition",
]
