"""The deployment files (Dockerfile, deploy/compose.yaml, deploy/systemd, deploy/nginx) checked as CI can:
the compose file parsed and its services checked, the units through `systemd-analyze verify` (a
structural check where it is not installed), nginx -t where nginx is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = [
    "entas-web.service",
    "entas-worker@.service",
    "entas-scheduler.service",
    "entas-backup.service",
    "entas-backup.timer",
]


def test_the_compose_file_runs_postgresql_web_workers_and_one_scheduler_from_one_image() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "migrate", "web", "worker", "scheduler"}
    assert services["db"]["image"].startswith("postgres:15.") and "latest" not in services["db"]["image"]
    assert services["web"]["command"][:2] == ["entas", "serve"]
    assert services["worker"]["command"] == ["entas", "worker"]
    assert services["scheduler"]["command"] == ["entas", "scheduler"]
    for name in ("web", "worker", "scheduler", "migrate"):
        service = services[name]
        assert service["image"] == services["web"]["image"], name
        assert "postgres://" in service["environment"]["ENTAS_DATABASE_URL"], name
        assert service["volumes"] == ["entas-data:/var/lib/entas"], name  # one secret key, one MEDIA_ROOT
    for name in ("web", "worker", "scheduler"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert "migrate --noinput" in services["migrate"]["command"][-1]
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]  # behind nginx, never open to the network
    env = dict(
        line.split("=", 1)
        for line in (DEPLOY / "entas.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert "ENTAS_DEBUG" not in env and "ENTAS_SECRET_KEY" not in env and env["ENTAS_ALLOWED_HOSTS"]


def test_the_dockerfile_is_pinned_slim_and_runs_as_an_unprivileged_user() -> None:
    text = (ROOT / "Dockerfile").read_text()
    bases = re.findall(r"^FROM (\S+)", text, re.M)
    assert bases and all(re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", b) for b in bases), bases
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user == ["entas:entas"]
    assert text.index("USER entas") > text.index("apt-get install")  # nothing runs as root after
    assert "-c constraints.txt" in text and "postgresql-client" in text
    assert re.search(r'^CMD \["entas", "serve"', text, re.M)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var"} <= set(ignored)


def _units(tmp_path: Path) -> list[Path]:
    """The units with their ExecStart pointing at this checkout's entas (verify checks the binary exists)."""
    out = []
    for name in UNITS:
        text = (
            (DEPLOY / "systemd" / name)
            .read_text()
            .replace("/opt/entas/venv/bin/entas", str(Path(sys.executable).parent / "entas"))
        )
        path = tmp_path / name.replace("@.service", "@1.service")
        path.write_text(text)
        out.append(path)
    return out


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    units = _units(tmp_path)
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (the structural test below still runs)")
    result = subprocess.run(
        [analyze, "verify", *[str(u) for u in units]],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), result.stderr


def test_the_systemd_units_are_complete_and_unprivileged() -> None:
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text()
        sections = re.findall(r"^\[(\w+)\]", text, re.M)
        if name.endswith(".timer"):
            assert sections == ["Unit", "Timer", "Install"] and "OnCalendar=" in text
            continue
        assert sections[:2] == ["Unit", "Service"], name
        assert "User=entas" in text and "EnvironmentFile=/etc/entas/entas.env" in text, name
        assert "NoNewPrivileges=true" in text and "ProtectSystem=strict" in text, name
        assert re.search(r"^ExecStart=/opt/entas/venv/bin/entas \w+", text, re.M), name
    assert "Restart=always" in (DEPLOY / "systemd" / "entas-worker@.service").read_text()


def test_the_nginx_site_proxies_to_the_web_socket_over_https(tmp_path: Path) -> None:
    site = (DEPLOY / "nginx" / "entas.conf").read_text()
    assert "server unix:/run/entas/web.sock" in site
    assert "listen 443 ssl" in site and "return 301 https://" in site
    assert site.count("{") == site.count("}")
    proxy = (DEPLOY / "nginx" / "entas-proxy.conf").read_text()
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Request-ID", "Host"):
        assert f"proxy_set_header {header}" in proxy
    socket = (DEPLOY / "systemd" / "entas-web.service").read_text()
    assert "--bind unix:/run/entas/web.sock" in socket
    nginx = shutil.which("nginx")
    if nginx is None:
        return  # the structural checks above are what CI can do without nginx
    conf = tmp_path / "nginx.conf"
    body = site.replace("/etc/nginx/snippets/entas-proxy.conf", str(DEPLOY / "nginx" / "entas-proxy.conf"))
    body = re.sub(r"ssl_certificate(_key)? [^;]+;", "", body).replace("listen 443 ssl;", "listen 443;")
    body = body.replace("listen [::]:443 ssl;", "listen [::]:443;")
    conf.write_text(f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n{body}\n}}\n")
    result = subprocess.run(
        [nginx, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_admin_wrapper_is_valid_shell_and_runs_entas_as_the_entas_user() -> None:
    script = DEPLOY / "entas-admin"
    assert subprocess.run(["/bin/sh", "-n", str(script)], check=False).returncode == 0
    text = script.read_text()
    assert "runuser -u entas" in text and ". /etc/entas/entas.env" in text and "ENTAS_VAR_DIR=/var/lib/entas" in text
