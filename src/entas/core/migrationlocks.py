"""Which migration operations would hold a long lock on a large table of a live PostgreSQL
(docs/upgrading.md, Migrations on a live PostgreSQL).

A province's registry has millions of members; an ``ALTER TABLE`` that rewrites or scans such a
table holds ``ACCESS EXCLUSIVE`` (no reads, no writes) for minutes, and a plain ``CREATE INDEX``
blocks every write for as long as the build. The check reads the migrations from disk (no database:
it runs the same on SQLite and PostgreSQL) and judges each operation on a large table by what
PostgreSQL ≥ 13 does with the SQL Django writes for it:

safe (metadata only, or a brief lock)
    a new model; dropping a model, a field, an index or a constraint; renaming; a nullable new
    column, or one with a constant default (Django sends the value as a constant DEFAULT, which
    PostgreSQL ≥ 11 stores in the catalogue without rewriting the table: a callable default is
    evaluated once by Django, so it is a constant too); ``AlterField`` that changes only what Django
    keeps in Python (labels, choices, validators, ``default``, ``blank``), makes a column nullable,
    or lengthens a ``varchar``; ``AddIndexConcurrently`` / ``RemoveIndexConcurrently``.

long lock (refused)
    ``AddIndex``, ``AddConstraint`` (a unique constraint builds an index; a check constraint scans
    every row), ``AlterUniqueTogether`` / ``AlterIndexTogether``; ``AddField`` with an index
    (``db_index``, ``unique``, a foreign key: index build plus a validating scan), with a check
    constraint (``PositiveIntegerField``'s ``>= 0``: a scan under the exclusive lock) or with a
    volatile database default (``db_default`` other than a constant or ``Now()``: a rewrite);
    ``AlterField`` that changes the column's type (a rewrite), shortens it, makes it ``NOT NULL`` (a
    scan), or adds an index or uniqueness; ``RunPython`` / ``RunSQL`` in an app that owns a large
    table (the check cannot see which rows they touch: a data migration over every row is one long
    transaction — backfill in batches from a job instead, and allowlist the migration with the reason).

Migrations that ran before the check existed are in :data:`HISTORICAL` (they ran on empty or small
databases when they were released); a new migration is never added there, only to
:data:`REVIEWED` with the reason it is safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations.base import Operation

# The tables that reach millions of rows at a province (app_label.model_name, lower case): the
# registry, the programme and payment rows, the audit trail, scores and the pre-aggregated facts.
LARGE_MODELS = frozenset(
    {
        "registry.household",
        "registry.member",
        "registry.membership",
        "programs.enrolment",
        "programs.entitlement",
        "programs.payment",
        "core.auditevent",
        "targeting.householdscore",
        "monitoring.fact",
    }
)


@dataclass(frozen=True)
class Finding:
    app_label: str
    migration: str
    index: int
    operation: str
    model: str
    reason: str

    @property
    def key(self) -> str:
        return f"{self.app_label}.{self.migration}"

    def __str__(self) -> str:
        return f"{self.key} #{self.index} {self.operation} on {self.model}: {self.reason}"


def _is_constant(expression: Any) -> bool:
    from django.db.models.functions import Now

    return isinstance(expression, models.Value | Now) or not hasattr(expression, "resolve_expression")


def _has_check(field: models.Field[Any, Any]) -> bool:
    # The checks Django writes inline with the column (positive integers); on PostgreSQL the column's
    # check is validated against every row while the table is locked.
    return isinstance(
        field, models.PositiveIntegerField | models.PositiveSmallIntegerField | models.PositiveBigIntegerField
    )


def _indexed(field: models.Field[Any, Any]) -> bool:
    return bool(getattr(field, "db_index", False) or field.unique) and not field.primary_key


def judge_add_field(field: models.Field[Any, Any]) -> str:
    """Why adding this column to a large table takes a long lock ('' when it does not)."""
    if isinstance(field, models.ForeignKey | models.OneToOneField):
        return "a foreign key column: its index is built and the constraint validated while writes wait"
    if _indexed(field):
        return "an indexed or unique column: the index is built while writes wait (use AddIndexConcurrently)"
    if _has_check(field):
        return "a column with a check constraint (positive integer): every row is scanned under the lock"
    db_default = getattr(field, "db_default", models.NOT_PROVIDED)
    if db_default is not models.NOT_PROVIDED and not _is_constant(db_default):
        return "a volatile database default: the table is rewritten"
    return ""


def pg_type(field: models.Field[Any, Any]) -> str:
    """The column type PostgreSQL gets for ``field`` (from the backend's type map, no connection)."""
    from django.db.backends.postgresql.base import DatabaseWrapper
    from django.utils.datastructures import DictWrapper

    template = DatabaseWrapper.data_types.get(field.get_internal_type())
    if template is None:  # a foreign key: the type of the key it points at; compare by kind
        return field.get_internal_type()
    data = DictWrapper(field.__dict__, lambda s: s, "qn_")
    return template(data) if callable(template) else template % data


def judge_alter_field(old: models.Field[Any, Any], new: models.Field[Any, Any]) -> str:
    """Why changing this column of a large table takes a long lock ('' when it does not)."""
    old_type, new_type = pg_type(old), pg_type(new)
    if old_type != new_type:
        old_length, new_length = getattr(old, "max_length", None), getattr(new, "max_length", None)
        both_varchar = old_type.startswith("varchar") and new_type.startswith("varchar")
        if both_varchar and old_length and new_length and new_length < old_length:
            return "a shorter column: every row is checked and the table rewritten"
        # varchar(n) → varchar(m ≥ n) or → text is binary-coercible: PostgreSQL changes only the catalogue.
        if not (both_varchar or (old_type.startswith("varchar") and new_type == "text")):
            return f"the column's type changes ({old_type} → {new_type}): the table is rewritten"
    if old.null and not new.null:
        return "NOT NULL added: every row is scanned under the lock (add a NOT VALID check, validate, then set)"
    if _indexed(new) and not _indexed(old):
        return "an index or uniqueness added: built while writes wait (use AddIndexConcurrently)"
    if _has_check(new) and not _has_check(old):
        return "a check constraint added: every row is scanned under the lock"
    return ""


def _operations(operations: Iterable[Operation]) -> Iterator[Operation]:
    for operation in operations:
        if isinstance(operation, migrations.SeparateDatabaseAndState):
            yield from _operations(operation.database_operations)
        else:
            yield operation


def _apps_owning_large_tables() -> set[str]:
    return {label.split(".")[0] for label in LARGE_MODELS}


def inspect(loader: MigrationLoader | None = None, *, apps: Iterable[str] | None = None) -> list[Finding]:
    """Every operation of the project's migrations (the apps whose name starts with ``entas``, or
    ``apps``) that would hold a long lock on a large table."""
    from django.apps import apps as installed
    from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently

    if loader is None:
        from django.test.utils import override_settings

        # The migrations on disk, even where a test run has switched them off (pytest --nomigrations).
        with override_settings(MIGRATION_MODULES={}):
            loader = MigrationLoader(None, ignore_no_migrations=True)
    wanted = (
        set(apps) if apps is not None else {c.label for c in installed.get_app_configs() if c.name.startswith("entas")}
    )
    findings: list[Finding] = []
    for (app_label, name), migration in sorted(loader.disk_migrations.items()):
        if app_label not in wanted:
            continue
        operations = list(_operations(migration.operations))
        # A table created by this migration is empty when its indexes and constraints are added.
        created = {f"{app_label}.{o.name.lower()}" for o in operations if isinstance(o, migrations.CreateModel)}
        for index, operation in enumerate(operations):
            kind = type(operation).__name__
            if isinstance(operation, migrations.RunPython | migrations.RunSQL):
                if app_label in _apps_owning_large_tables():
                    findings.append(
                        Finding(app_label, name, index, kind, app_label, "a data migration in an app with large tables")
                    )
                continue
            model_name = getattr(operation, "model_name", None) or getattr(operation, "name", None)
            if not isinstance(model_name, str):
                continue
            label = f"{app_label}.{model_name.lower()}"
            if (
                label not in LARGE_MODELS
                or label in created
                or isinstance(operation, migrations.CreateModel | AddIndexConcurrently | RemoveIndexConcurrently)
            ):
                continue
            reason = ""
            if isinstance(operation, migrations.AddField):
                reason = judge_add_field(operation.field)
            elif isinstance(operation, migrations.AlterField):
                # The field as it was: the state before this migration, and its operations before this one.
                state = loader.project_state((app_label, name), at_end=False)
                for earlier in operations[:index]:
                    earlier.state_forwards(app_label, state)
                old = state.models[app_label, model_name.lower()].fields.get(operation.name)
                reason = judge_alter_field(old, operation.field) if old is not None else ""
            elif isinstance(operation, migrations.AddIndex):
                reason = "a plain CREATE INDEX: writes wait for the build (use AddIndexConcurrently)"
            elif isinstance(operation, migrations.AddConstraint):
                reason = "a new constraint: built or validated over every row while the table is locked"
            elif (
                isinstance(operation, migrations.AlterUniqueTogether | migrations.AlterIndexTogether)
                and operation.option_value
            ):
                reason = "a unique/index together: an index built while writes wait"
            if reason:
                findings.append(Finding(app_label, name, index, kind, label, reason))
    return findings


# Migrations released before this check (issue #27): they ran when the tables were empty or small, and
# are never run again on an existing installation. A NEW migration is never added here.
HISTORICAL: frozenset[str] = frozenset(
    {
        "core.0005_audit_actor_action_at",  # the (actor, action, at) index on the audit trail
        "programs.0004_enrolment_and_job_locks",  # one enrolment per programme and household
        "registry.0002_member_merged_into",  # the merge tombstone's foreign key
        "registry.0003_member_indexes",  # updated_at indexes
        "registry.0004_name_key_prefix_indexes",  # the name search's prefix indexes
        "targeting.0005_rule_versions_and_chosen_model",  # rule versions from the rules (a small table)
    }
)

# Migrations a reviewer judged safe despite a finding, each with the reason (e.g. a RunPython that only
# touches a small table, or a backfill done in batches).
REVIEWED: dict[str, str] = {}


def unreviewed(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.key not in HISTORICAL and f.key not in REVIEWED]
