"""The CI check that no migration holds a long lock on a large table of a live PostgreSQL
(entas.core.migrationlocks; docs/upgrading.md)."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.contrib.postgres.operations import AddIndexConcurrently
from django.core.management import call_command
from django.db import migrations, models
from django.db.migrations.state import ModelState, ProjectState
from django.db.models.functions import Now, Random

from entas.core import migrationlocks
from entas.core.migrationlocks import judge_add_field, judge_alter_field


def test_every_migration_of_the_project_is_lock_safe_or_historical() -> None:
    findings = migrationlocks.inspect()
    assert migrationlocks.unreviewed(findings) == [], "\n".join(map(str, migrationlocks.unreviewed(findings)))
    # The historical list names only migrations that still have a finding: no stale entries.
    assert {f.key for f in findings} >= migrationlocks.HISTORICAL


def test_the_command_answers_json_and_fails_on_an_unreviewed_finding(monkeypatch: Any) -> None:
    out = StringIO()
    call_command("migration_locks", "--all", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["unreviewed"] == 0 and all(f["historical"] for f in result["findings"])
    monkeypatch.setattr(migrationlocks, "HISTORICAL", frozenset())
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="lock a large table"):
        call_command("migration_locks", stdout=StringIO())


@pytest.mark.parametrize(
    ("field", "locks"),
    [
        (models.CharField(max_length=20, null=True), False),
        (models.CharField(max_length=20, default="x"), False),  # a constant default: no rewrite on PG ≥ 11
        (models.DateTimeField(db_default=Now()), False),
        (models.IntegerField(null=True), False),
        (models.BooleanField(default=False), False),
        (models.FloatField(db_default=Random()), True),  # volatile: every row rewritten
        (models.CharField(max_length=20, null=True, db_index=True), True),
        (models.CharField(max_length=20, null=True, unique=True), True),
        (models.ForeignKey("registry.Household", null=True, on_delete=models.PROTECT), True),
        (models.PositiveIntegerField(null=True), True),  # its CHECK (>= 0) is validated over every row
    ],
)
def test_adding_a_column(field: models.Field[Any, Any], locks: bool) -> None:
    assert bool(judge_add_field(field)) is locks


@pytest.mark.parametrize(
    ("old", "new", "locks"),
    [
        (models.CharField(max_length=20), models.CharField(max_length=40), False),  # varchar longer: catalogue
        (
            models.CharField(max_length=20),
            models.CharField(max_length=20, verbose_name="x", choices=[("a", "A")]),
            False,
        ),
        (models.CharField(max_length=20), models.CharField(max_length=20, null=True), False),
        (models.CharField(max_length=20, null=True), models.CharField(max_length=20), True),  # NOT NULL: a scan
        (models.CharField(max_length=20), models.CharField(max_length=10), True),
        (models.CharField(max_length=20), models.TextField(), False),  # varchar → text: binary-coercible
        (models.TextField(), models.CharField(max_length=20), True),
        (models.IntegerField(), models.BigIntegerField(), True),  # a type change: a rewrite
        (
            models.DecimalField(max_digits=10, decimal_places=2),
            models.DecimalField(max_digits=12, decimal_places=2),
            True,
        ),
        (models.CharField(max_length=20), models.CharField(max_length=20, db_index=True), True),
        (models.IntegerField(), models.PositiveIntegerField(), True),  # same type, a CHECK validated
        (models.IntegerField(), models.IntegerField(default=3, help_text="n"), False),
    ],
)
def test_changing_a_column(old: models.Field[Any, Any], new: models.Field[Any, Any], locks: bool) -> None:
    assert bool(judge_alter_field(old, new)) is locks


class _Loader:
    """Migrations from a test, with the registry's member table before them."""

    def __init__(self, operations: list[Any]) -> None:
        migration = migrations.Migration("0099_probe", "registry")
        migration.operations = operations
        self.disk_migrations = {("registry", "0099_probe"): migration}

    def project_state(self, node: Any, at_end: bool = True) -> ProjectState:
        state = ProjectState()
        state.add_model(
            ModelState(
                "registry",
                "Member",
                [("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=120))],
            )
        )
        return state


def _reasons(operations: list[Any]) -> list[str]:
    return [f.operation for f in migrationlocks.inspect(_Loader(operations), apps=["registry"])]  # type: ignore[arg-type]


def test_it_refuses_a_plain_index_and_a_type_change_on_the_member_table_but_not_a_concurrent_index() -> None:
    index = models.Index(fields=["name"], name="probe_name")
    assert _reasons([migrations.AddIndex("member", index)]) == ["AddIndex"]
    assert _reasons([AddIndexConcurrently("member", index)]) == []
    assert _reasons([migrations.AlterField("member", "name", models.CharField(max_length=60))]) == ["AlterField"]
    assert _reasons([migrations.AlterField("member", "name", models.TextField())]) == []
    assert _reasons([migrations.AlterField("member", "name", models.CharField(max_length=200))]) == []
    assert _reasons([migrations.AddField("member", "note", models.TextField(null=True))]) == []
    assert _reasons([migrations.RunPython(migrations.RunPython.noop)]) == ["RunPython"]
    constraint = models.UniqueConstraint(fields=["name"], name="probe_unique")
    assert _reasons([migrations.AddConstraint("member", constraint)]) == ["AddConstraint"]
    # A table the same migration creates is empty: its indexes cost nothing.
    new_table = migrations.CreateModel("Member", [("id", models.AutoField(primary_key=True))])
    assert _reasons([new_table, migrations.AddIndex("member", index)]) == []
    # Tables that stay small are not checked.
    assert _reasons([migrations.AddIndex("kknumber", index)]) == []


@pytest.mark.django_db
def test_the_rules_match_what_postgresql_rewrites() -> None:
    """On PostgreSQL, whether a statement rewrites the table (its file node changes) is what the rules
    say: a constant default and a longer varchar or text do not; a type change does."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's storage")

    def rewrites(sql: str) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_relation_filenode('lockprobe')")
            before = cursor.fetchone()[0]
            cursor.execute(sql)
            cursor.execute("SELECT pg_relation_filenode('lockprobe')")
            return bool(cursor.fetchone()[0] != before)

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE lockprobe (id integer, name varchar(20), n integer)")
        cursor.execute("INSERT INTO lockprobe SELECT g, 'x', g FROM generate_series(1, 1000) g")
    # What Django's AddField(default=0) sends: the constant default, then the default dropped.
    assert not rewrites('ALTER TABLE lockprobe ADD COLUMN "k" integer DEFAULT 0 NOT NULL')
    assert not rewrites('ALTER TABLE lockprobe ALTER COLUMN "k" DROP DEFAULT')
    assert not rewrites('ALTER TABLE lockprobe ALTER COLUMN "name" TYPE varchar(40)')
    assert not rewrites('ALTER TABLE lockprobe ALTER COLUMN "name" TYPE text')
    assert rewrites('ALTER TABLE lockprobe ALTER COLUMN "n" TYPE bigint')
    assert rewrites("ALTER TABLE lockprobe ADD COLUMN r float DEFAULT random()")
    assert not judge_alter_field(models.CharField(max_length=20), models.TextField())
    assert judge_alter_field(models.IntegerField(), models.BigIntegerField())
