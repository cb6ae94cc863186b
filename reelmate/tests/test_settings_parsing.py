"""Settings: duration parsing for JWT_EXPIRES_IN, and embedded vs configured environments."""
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from reelmate.settings import parse_duration

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7d", timedelta(days=7)), ("15m", timedelta(minutes=15)), ("12h", timedelta(hours=12)),
     ("30s", timedelta(seconds=30)), ("3600", timedelta(hours=1)), ("2w", timedelta(weeks=2))],
)
def test_jwt_expires_in_accepts_the_seed_forms(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "7x", "-5m", "0d", "soon", "1.5h"])
def test_jwt_expires_in_rejects_nonsense_with_a_helpful_message(text):
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def settings_in_subprocess(env: dict) -> dict:
    """Import the real settings module with exactly this environment (no .env influence)."""
    code = (
        "import json, reelmate.settings as s;"
        "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], 'cache': s.CACHES['default']['BACKEND'],"
        "'broker': s.CELERY_BROKER_URL, 'storage': s.STORAGES['default']['BACKEND'], 'debug': s.DEBUG,"
        "'access': s.SIMPLE_JWT['ACCESS_TOKEN_LIFETIME'].total_seconds(),"
        "'endpoint': s.S3_ENDPOINT_URL, 'bucket': s.STORAGE_BUCKET_NAME, 'speech': s.SPEECH_DEFAULT_PROVIDER,"
        "'proxies': s.TRUSTED_PROXIES}))"
    )
    base = {"PATH": os.environ["PATH"], "REELMATE_VAR_DIR": "/tmp/reelmate-settings-test"}
    output = subprocess.run([sys.executable, "-c", code], env=base | env, cwd=ROOT, capture_output=True,
                            text=True, check=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def test_nothing_set_refuses_to_start_instead_of_using_the_published_key():
    with pytest.raises(subprocess.CalledProcessError) as failure:
        settings_in_subprocess({})
    assert "SECRET_KEY" in failure.value.stderr
    assert "DEBUG=true" in failure.value.stderr  # the message names the development way out too


@pytest.mark.parametrize(("env", "debug"), [
    ({"SECRET_KEY": "k" * 40}, False),
    ({"SECRET_KEY": "k" * 40, "PRODUCTION": "false"}, False),  # the old shortcut no longer turns DEBUG on
    ({"SECRET_KEY": "k" * 40, "DEBUG": "false"}, False),
    ({"DEBUG": "true"}, True),
])
def test_debug_is_off_unless_explicitly_enabled(env, debug):
    assert settings_in_subprocess(env)["debug"] is debug


def test_debug_alone_gives_the_embedded_default():
    values = settings_in_subprocess({"DEBUG": "true"})
    assert values["db"] == "django.db.backends.sqlite3"
    assert values["cache"].endswith("LocMemCache")
    assert values["broker"] == "filesystem://"
    assert values["storage"] == "reelmate.storage.SignedFileSystemStorage"
    assert values["debug"] is True
    assert values["access"] == 7 * 86400
    assert values["bucket"] == "reelmate-storage"
    assert values["speech"] == "local"


def test_configured_environment_uses_postgres_redis_and_s3():
    values = settings_in_subprocess({
        "DATABASE_URL": "postgres://u:p@db.internal:5432/reelmate", "REDIS_URL": "redis://cache:6379/0",
        "S3_ACCESS_KEY_ID": "key", "S3_SECRET_ACCESS_KEY": "secret", "SUPABASE_URL": "https://abc.supabase.co",
        "JWT_EXPIRES_IN": "15m", "SECRET_KEY": "x" * 50, "DEBUG": "false", "OPENAI_API_KEY": "sk-test",
    })
    assert values["db"] == "django.db.backends.postgresql"
    assert values["cache"].endswith("RedisCache")
    assert values["broker"] == "redis://cache:6379/0"
    assert values["storage"] == "storages.backends.s3.S3Storage"
    assert values["endpoint"] == "https://abc.supabase.co/storage/v1/s3"
    assert values["debug"] is False
    assert values["access"] == 15 * 60
    assert values["speech"] == "openai"


@pytest.mark.parametrize(
    "secret", ["", "short", "insecure-dev-key-change-me", "change-me-in-.env-please-0123456789abcdef"])
def test_production_refuses_to_start_without_a_strong_secret_key(secret):
    with pytest.raises(subprocess.CalledProcessError) as failure:
        settings_in_subprocess({"DEBUG": "false", "SECRET_KEY": secret})
    assert "SECRET_KEY" in failure.value.stderr


def test_production_refuses_a_weak_jwt_secret():
    with pytest.raises(subprocess.CalledProcessError) as failure:
        settings_in_subprocess({"DEBUG": "false", "SECRET_KEY": "s" * 40, "JWT_SECRET": "jwt"})
    assert "JWT_SECRET" in failure.value.stderr


@pytest.mark.parametrize("rate", ["lots", "30", "30/x", "/m"])
def test_a_throttle_rate_that_is_not_count_per_period_refuses_to_start(rate):
    with pytest.raises(subprocess.CalledProcessError) as failure:
        settings_in_subprocess({"SECRET_KEY": "k" * 40, "THROTTLE_WRITES": rate})
    assert "THROTTLE_WRITES" in failure.value.stderr


@pytest.mark.parametrize("url", ["localhost:5001", "/api", "ftp://files.example.com"])
def test_a_public_base_url_that_is_not_an_absolute_http_url_is_refused(url):
    with pytest.raises(subprocess.CalledProcessError) as failure:
        settings_in_subprocess({"SECRET_KEY": "k" * 40, "PUBLIC_BASE_URL": url})
    assert "PUBLIC_BASE_URL" in failure.value.stderr


@pytest.mark.parametrize("target", ["run", "seed", "migrate", "web", "worker", "beat", "lint"])
def test_the_make_targets_that_start_the_app_enable_debug_unless_it_is_set(target):
    dry_run = subprocess.run(["make", "--dry-run", "--always-make", target], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.splitlines()
    starts_the_app = [line for line in dry_run if re.search(r"manage\.py|celery|uvicorn|bin/run-stack", line)]
    assert starts_the_app
    assert all(line.startswith("DEBUG=${DEBUG:-true} ") for line in starts_the_app), starts_the_app
    assert 'export DEBUG="${DEBUG:-true}"' in (ROOT / "bin" / "run-stack").read_text()


STRONG = {"SECRET_KEY": "k" * 40}


@pytest.mark.parametrize(("env", "proxies"), [
    ({}, []),
    ({"TRUSTED_PROXIES": "10.0.0.0/8, 2001:db8::/32,192.0.2.7"}, ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]),
    # The earlier switch alone: proxies on loopback and private networks.
    ({"TRUST_X_FORWARDED_FOR": "true"},
     ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]),
    ({"TRUST_X_FORWARDED_FOR": "true", "TRUSTED_PROXIES": "192.0.2.0/24"}, ["192.0.2.0/24"]),
])
def test_trusted_proxies(env, proxies):
    assert settings_in_subprocess(STRONG | env)["proxies"] == proxies


def test_a_trusted_proxy_that_is_not_an_address_refuses_to_start():
    with pytest.raises(subprocess.CalledProcessError) as failure:
        settings_in_subprocess(STRONG | {"TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"})
    assert "TRUSTED_PROXIES: 'proxy.internal'" in failure.value.stderr


def test_env_example_documents_every_variable_settings_read():
    source = (ROOT / "reelmate" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z0-9_]+)"', source))
    documented = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert read, "the pattern should find the variables settings.py reads"
    assert read - documented == set()


def test_production_configuration_passes_check_deploy():
    env = {
        "PATH": os.environ["PATH"], "REELMATE_VAR_DIR": "/tmp/reelmate-settings-test", "DEBUG": "false",
        "SECRET_KEY": "k3y-" + "x9Yz" * 16, "ALLOWED_HOSTS": "reelmate.example.com",
        "SECURE_HSTS_SECONDS": "31536000", "SECURE_SSL_REDIRECT": "true", "SECURE_HSTS_PRELOAD": "true",
        "REDIS_URL": "redis://127.0.0.1:6379/13",
    }
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            env=env, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
