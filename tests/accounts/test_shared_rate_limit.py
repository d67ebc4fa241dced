"""Rate limits hold across server processes (issue #26): the count lives in the shared cache
(ENTAS_CACHE_URL, the database table by default), so two processes — here two cache connections to
one store, as two gunicorn workers have — are limited together; per-process memory is not."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from typing import Any

import pytest
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.management import call_command

from entas.accounts import tokens
from entas.settings import _cache

pytestmark = pytest.mark.django_db

NOW = 600.0  # the start of a minute


def test_cache_url_is_parsed() -> None:
    assert _cache("db://entas_cache") == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "entas_cache",
    }
    assert _cache("redis://127.0.0.1:6379/1")["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert _cache("file:///var/cache/entas")["LOCATION"] == "/var/cache/entas"
    with pytest.raises(ValueError, match="memcache"):
        _cache("memcache://x")


def test_two_workers_sharing_the_database_cache_are_limited_together(settings: Any) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "shared": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "entas_rate_test"},
    }
    call_command("createcachetable", "--database", "default", verbosity=0)
    worker_a, worker_b = DatabaseCache("entas_rate_test", {}), DatabaseCache("entas_rate_test", {})
    for worker in (worker_a, worker_b, worker_a):
        tokens.count("api-token:1", 3, now=NOW, store=worker)
    with pytest.raises(tokens.Throttled) as over:
        tokens.count("api-token:1", 3, now=NOW + 1, store=worker_b)  # the fourth, on the other worker
    assert over.value.retry_after == 59
    tokens.count("api-token:2", 3, now=NOW + 1, store=worker_b)  # another token has its own count
    tokens.count("api-token:1", 3, now=NOW + 60, store=worker_b)  # the next minute starts afresh


def test_per_process_memory_would_not_limit_them_together() -> None:
    worker_a, worker_b = LocMemCache("a", {}), LocMemCache("b", {})
    for worker in (worker_a, worker_b, worker_a, worker_b):
        tokens.count("api-token:1", 3, now=NOW, store=worker)  # four requests, none refused


def _default_cache(database_url: str) -> list[str]:
    probe = "import entas.settings as s; print(s.CACHES['default']['BACKEND'], s.CACHES['default']['LOCATION'])"
    env = {k: v for k, v in os.environ.items() if k != "ENTAS_CACHE_URL"} | {"ENTAS_DATABASE_URL": database_url}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout
    return out.split()


def test_the_default_cache_is_shared_by_processes(tmp_path: Any) -> None:
    """Unset, ENTAS_CACHE_URL means the database's table on PostgreSQL, and files under the var folder
    on SQLite (an API read then takes no write lock of SQLite). The suite itself sets locmem://."""
    assert _default_cache("postgres://u@127.0.0.1:5432/x") == [
        "django.core.cache.backends.db.DatabaseCache",
        "entas_cache",
    ]
    backend, location = _default_cache(f"sqlite:///{tmp_path}/x.sqlite3")
    assert backend == "django.core.cache.backends.filebased.FileBasedCache" and location.endswith("/cache")


def test_two_workers_sharing_a_file_cache_are_limited_together(tmp_path: Any) -> None:
    from django.core.cache.backends.filebased import FileBasedCache

    worker_a, worker_b = FileBasedCache(str(tmp_path), {}), FileBasedCache(str(tmp_path), {})
    tokens.count("api-token:1", 2, now=NOW, store=worker_a)
    tokens.count("api-token:1", 2, now=NOW, store=worker_b)
    with pytest.raises(tokens.Throttled):
        tokens.count("api-token:1", 2, now=NOW, store=worker_a)


def test_two_workers_sharing_redis_are_limited_together() -> None:
    """With ENTAS_CACHE_URL=redis://…: two connections (two workers) to one Redis count together."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    from django.core.cache.backends.redis import RedisCache

    subject = f"api-token:test-{uuid.uuid4().hex}"  # other users of this Redis never collide
    worker_a, worker_b = RedisCache("redis://127.0.0.1:6379/0", {}), RedisCache("redis://127.0.0.1:6379/0", {})
    try:
        for worker in (worker_a, worker_b, worker_a):
            tokens.count(subject, 3, now=NOW, store=worker)
        with pytest.raises(tokens.Throttled):
            tokens.count(subject, 3, now=NOW, store=worker_b)
    finally:
        worker_a.delete(f"entas:rate:{subject}:{int(NOW // 60)}")
