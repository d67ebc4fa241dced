"""Settings, the console command, the demo seed."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command, get_commands, load_command_class
from django.db import connection

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.settings import env_bool, env_list

# Settings checked in fresh processes and file databases: integration.
pytestmark = pytest.mark.integration

ENTAS = [sys.executable, "-m", "entas.manage"]


def test_env_helpers_parse_and_reject_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_FLAG", "off")
    assert env_bool("X_FLAG", True) is False
    monkeypatch.setenv("X_FLAG", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG", True)
    monkeypatch.setenv("X_LIST", "a.go.id, b.go.id,")
    assert env_list("X_LIST", []) == ["a.go.id", "b.go.id"]


def test_the_default_time_zone_is_wita() -> None:
    if "ENTAS_TIME_ZONE" not in os.environ:
        assert settings.TIME_ZONE == "Asia/Makassar"
    assert settings.LANGUAGE_CODE == "id"


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite-only setting; this run uses " + connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
        cursor.execute("PRAGMA busy_timeout")
        timeout = cursor.fetchone()[0]
    # The in-memory test database cannot use WAL; a file database does (checked below).
    assert mode in {"wal", "memory"}
    assert timeout >= 5000


def test_a_file_database_is_created_in_wal_mode(tmp_path: object) -> None:
    env = {**os.environ, "ENTAS_VAR_DIR": str(tmp_path), "ENTAS_DATABASE_URL": ""}
    code = (
        "import django; django.setup(); from django.db import connection; c = connection.cursor();"
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "entas.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "wal"


def test_production_settings_pass_the_deploy_check(tmp_path: object) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},  # set by browser tests
        "ENTAS_DEBUG": "0",
        "ENTAS_SECRET_KEY": secrets.token_urlsafe(50),
        "ENTAS_ALLOWED_HOSTS": "entas.balikpapan.example",
        "ENTAS_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [*ENTAS, "check", "--deploy", "--fail-level", "WARNING"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_a_secret_key_production_generates_a_private_one_and_keeps_it(tmp_path: Path) -> None:
    first = _settings_in_a_fresh_process({"ENTAS_VAR_DIR": str(tmp_path)}, "SECRET_KEY")
    assert first.returncode == 0, first.stderr
    key = json.loads(first.stdout)["SECRET_KEY"]
    assert len(key) >= 50 and "insecure" not in key  # never the published development key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    again = _settings_in_a_fresh_process({"ENTAS_VAR_DIR": str(tmp_path)}, "SECRET_KEY")
    assert json.loads(again.stdout)["SECRET_KEY"] == key
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary left


def _settings_in_a_fresh_process(env: dict[str, str], *names: str) -> subprocess.CompletedProcess[str]:
    """Load the settings as a fresh process with exactly ``env`` added to a clean environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ENTAS_", "DJANGO_"))}
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DJANGO_SETTINGS_MODULE": "entas.settings", **env},
        capture_output=True,
        text=True,
    )


def test_debug_is_off_and_https_settings_on_unless_asked_for(tmp_path: object) -> None:
    out = _settings_in_a_fresh_process(
        {"ENTAS_SECRET_KEY": secrets.token_urlsafe(50), "ENTAS_VAR_DIR": str(tmp_path)},
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"DEBUG": False, "SESSION_COOKIE_SECURE": True, "SECURE_SSL_REDIRECT": True}


def test_a_secret_key_file_in_var_is_used_when_it_is_private(tmp_path: Path) -> None:
    key = secrets.token_urlsafe(50)
    (tmp_path / "secret_key").write_text(key + "\n")
    (tmp_path / "secret_key").chmod(0o600)
    out = _settings_in_a_fresh_process({"ENTAS_VAR_DIR": str(tmp_path)}, "SECRET_KEY", "DEBUG")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"SECRET_KEY": key, "DEBUG": False}
    (tmp_path / "secret_key").chmod(0o644)
    refused = _settings_in_a_fresh_process({"ENTAS_VAR_DIR": str(tmp_path)}, "SECRET_KEY")
    assert refused.returncode != 0 and "chmod 600" in refused.stderr


def test_the_demo_runs_with_debug_off_over_plain_http() -> None:
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "demo: export ENTAS_DEBUG = 0" in makefile
    assert "demo: export ENTAS_HTTPS = 0" in makefile
    assert "collectstatic" in makefile


def test_the_entas_console_script_is_installed() -> None:
    from importlib.metadata import entry_points

    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert scripts.get("entas") == "entas.manage:main"


def test_every_entas_command_has_help_text() -> None:
    ours = {name: app for name, app in get_commands().items() if app.startswith("entas.")}
    assert {"load_regions", "load_boundaries", "seed_demo", "worker", "jobs"} <= set(ours)
    for name, app in ours.items():
        command = load_command_class(app, name)
        assert len(command.help) > 40, f"entas {name} needs a --help text"
        parser = command.create_parser("entas", name)
        assert parser.format_help()


@pytest.mark.django_db
def test_seed_demo_creates_one_user_per_role_and_prints_json(settings: object) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]  # as in development; Django's tests run with DEBUG off
    out = StringIO()
    call_command("seed_demo", "--json", stdout=out)
    users = json.loads(out.getvalue())
    roles = [u["role"] for u in users]
    assert set(roles) == set(Role)
    assert roles.count(Role.DINSOS_MANAGER) == 2
    operators = {tuple(u["areas"]) for u in users if u["role"] == Role.OPERATOR}
    assert ("64.71.01.1001",) in operators and ("64.71.06.1005",) in operators
    for u in users:
        assert User.objects.get(username=u["username"]).check_password(u["password"])
    # Run twice: same users, new passwords, nothing duplicated. The demo's service account (an API
    # client with a token, no password: issue #26) is no login, so it is not printed.
    call_command("seed_demo", "--json", stdout=StringIO())
    assert User.objects.filter(is_service_account=False).count() == len(users)
    assert User.objects.filter(is_service_account=True).count() <= 1


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_on_a_production_setup(settings: object) -> None:
    from django.core.management import CommandError

    settings.DEBUG = False  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="ENTAS_DEBUG"):
        call_command("seed_demo", stdout=StringIO())
