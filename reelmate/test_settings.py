"""Settings for the test suite: the real settings module, pointed at this machine's services.

Only the environment's defaults change here; anything set in the environment still wins, so
`DATABASE_URL=... make test` runs the suite against another database.
"""
import atexit
import os
import shutil
import tempfile

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/reelmate")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("LOG_FORMAT", "text")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("OPENAI_API_KEY", "")
# DEBUG is off by default; the in-process clients (Django's, schemathesis') call these hosts.
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# The suite's users may generate freely unless a test puts them on a plan (the plans have their own tests).
os.environ.setdefault("DEFAULT_PLAN", "unlimited")
# Each run of the suite speaks into a speech cache of its own (shared with the workers it starts,
# which inherit the variable): a sentence cached by an earlier run would hide this run's synthesis.
if "SPEECH_CACHE_DIR" not in os.environ:
    os.environ["SPEECH_CACHE_DIR"] = tempfile.mkdtemp(prefix="reelmate-test-speech-cache-")
    atexit.register(shutil.rmtree, os.environ["SPEECH_CACHE_DIR"], ignore_errors=True)

from reelmate.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
