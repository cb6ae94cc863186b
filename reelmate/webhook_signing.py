"""Standard Webhooks signatures (https://www.standardwebhooks.com), made by the `standardwebhooks`
library rather than by hand: ``webhook-signature`` is ``v1,<base64 HMAC-SHA256 of id.timestamp.body>``,
one per secret, separated by spaces (during a rotation's grace period the old and the new secret
both sign). Secrets are ``whsec_`` + base64 of 24 random bytes.
"""
from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from datetime import datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature_header(signing_secrets: Iterable[str], *, message_id: str, timestamp: datetime, body: str) -> str:
    """The ``webhook-signature`` value: one ``v1,...`` signature per secret, space-separated."""
    return " ".join(Webhook(secret).sign(message_id, timestamp, body) for secret in signing_secrets)


def headers(signing_secrets: Iterable[str], *, message_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt (``webhook-id`` is the same on every retry)."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature_header(signing_secrets, message_id=message_id, timestamp=timestamp, body=body),
    }
