"""Settings from the environment: typed helpers, and production settings that pass --deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clusterlab.env import env_bool, env_list, env_str

ROOT = Path(__file__).resolve().parents[2]


def test_env_bool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLAG", raising=False)
    assert env_bool("FLAG", True) is True
    for raw, expected in (
        ("1", True),
        ("yes", True),
        ("On", True),
        ("0", False),
        ("false", False),
        ("", False),
    ):
        monkeypatch.setenv("FLAG", raw)
        assert env_bool("FLAG", not expected) is expected
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ValueError, match="FLAG must be a boolean"):
        env_bool("FLAG", False)


def test_env_list_and_str(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOSTS", raising=False)
    assert env_list("HOSTS", ["a"]) == ["a"]
    monkeypatch.setenv("HOSTS", " lab.example.com, ,api.example.com ")
    assert env_list("HOSTS", []) == ["lab.example.com", "api.example.com"]
    monkeypatch.setenv("NAME", "x")
    assert env_str("NAME", "y") == "x"


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "REDIS_URL")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "clusterlab.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy() -> None:
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
        ALLOWED_HOSTS="lab.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _manage("check", DEBUG="0", ALLOWED_HOSTS="lab.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_redis_url_selects_channels_redis() -> None:
    code = "from django.conf import settings; print(settings.CHANNEL_LAYERS['default']['BACKEND'])"
    result = _manage("shell", "-c", code, REDIS_URL="redis://127.0.0.1:6379/0")
    assert result.stdout.strip().splitlines()[-1] == "channels_redis.core.RedisChannelLayer", result.stderr
    result = _manage("shell", "-c", code)
    assert result.stdout.strip().splitlines()[-1] == "channels.layers.InMemoryChannelLayer", result.stderr
