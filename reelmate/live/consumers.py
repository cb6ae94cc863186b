"""The live WebSocket: `/ws/live` (README "Live job status" has the protocol).

1. Connect, then authenticate with the first message ``{"type": "auth", "token": "<access JWT>"}``
   (or offer the subprotocols ``reelmate.live.v1`` and ``bearer.<access JWT>``); the server answers
   ``{"type": "ready"}``. The token never appears in a URL, so never in access logs.
2. ``{"type": "subscribe", "stream": "job", "ids": ["<job id>", ...]}`` — or ``"ids": "all"`` for
   every job of the user. Each id gets its current state first (a ``snapshot`` event), or, with
   ``"after": {"<job id>": <seq>}``, the events missed since; an id that is not the user's
   answers ``{"type": "error", "code": "not_found", ...}``. ``unsubscribe`` takes the same fields.
3. Events: ``{"type": "event", "seq", "stream", "id", "kind", "at", "data"}``, per object in
   ``seq`` order (never an older one after a newer one).

Close codes: 4001 not authenticated (no token within LIVE_AUTH_TIMEOUT_SECONDS, invalid, revoked,
inactive user), 4002 token expired (at connect, or when its lifetime ends while connected),
1011 server error.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from reelmate.live import auth, streams, subscriptions
from reelmate.live.publishing import user_group

logger = logging.getLogger(__name__)

SUBPROTOCOL = "reelmate.live.v1"
BEARER_PREFIX = "bearer."
ALL = "all"


class LiveConsumer(AsyncWebsocketConsumer):
    user_id: int | None = None

    async def connect(self) -> None:
        self.user_id = None
        self.identity: auth.Identity | None = None
        self.subscribed: set[tuple[str, str]] = set()
        self.all_of: set[str] = set()  # streams followed entirely
        self.last_seq: dict[tuple[str, str], int] = {}
        self._timer: asyncio.TimerHandle | None = None
        offered = list(self.scope.get("subprotocols") or [])
        await self.accept(SUBPROTOCOL if SUBPROTOCOL in offered else None)
        token = next((p[len(BEARER_PREFIX):] for p in offered if p.startswith(BEARER_PREFIX)), None)
        if token is not None:
            await self.authenticate(token)
        else:
            self._close_later(settings.LIVE_AUTH_TIMEOUT_SECONDS, auth.UNAUTHENTICATED, "auth_timeout")

    async def disconnect(self, code: int) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self.user_id is not None:
            await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)

    # --- client messages ------------------------------------------------------------------------
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message = json.loads(text_data or "")
        except ValueError:
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.send_json({"type": "error", "code": "invalid", "message": "Send a JSON object with a `type`."})
            return
        kind = message["type"]
        if self.user_id is None:
            if kind == "auth" and isinstance(message.get("token"), str):
                await self.authenticate(message["token"])
            else:
                await self.refuse(auth.UNAUTHENTICATED, "auth_required")
            return
        if kind in ("subscribe", "unsubscribe"):
            await self.change_subscription(message, subscribe=kind == "subscribe")
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "auth":
            await self.send_json({"type": "error", "code": "invalid", "message": "Already authenticated."})
        else:
            await self.send_json({"type": "error", "code": "invalid", "message": f"Unknown message type {kind!r}."})

    async def authenticate(self, token: str) -> None:
        try:
            identity = await database_sync_to_async(auth.authenticate)(token)
        except auth.Refused as refused:
            await self.refuse(refused.code, refused.reason)
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.identity, self.user_id = identity, identity.user_id
        await self.channel_layer.group_add(user_group(self.user_id), self.channel_name)
        if identity.expires_at is not None:
            self._close_later(max(0.0, identity.expires_at - time.time()), auth.TOKEN_EXPIRED, "token_expired")
        await self.send_json({"type": "ready", "expires_at": identity.expires_at})

    async def change_subscription(self, message: dict[str, Any], *, subscribe: bool) -> None:
        name = message.get("stream", "job")
        stream = streams.get(name) if isinstance(name, str) else None
        ids, after = message.get("ids"), message.get("after") or {}
        if stream is None:
            await self.send_json({"type": "error", "code": "invalid", "message": f"Unknown stream {name!r}."})
            return
        if ids == ALL:
            (self.all_of.add if subscribe else self.all_of.discard)(name)
            await self.send_json({"type": "subscribed" if subscribe else "unsubscribed", "stream": name, "ids": ALL})
            return
        if (not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids)
                or not isinstance(after, dict)):
            await self.send_json({"type": "error", "code": "invalid",
                                  "message": "`ids` is a non-empty list of ids or \"all\"; `after` maps ids to seq."})
            return
        if not subscribe:
            for key in ids:
                self.subscribed.discard((name, key))
            await self.send_json({"type": "unsubscribed", "stream": name, "ids": ids})
            return
        if len(self.subscribed | {(name, key) for key in ids}) > settings.LIVE_MAX_SUBSCRIPTIONS:
            await self.send_json({"type": "error", "code": "too_many_subscriptions",
                                  "message": f"At most {settings.LIVE_MAX_SUBSCRIPTIONS} ids per connection."})
            return
        accepted, starts = [], []
        for key in dict.fromkeys(ids):
            after_seq = after.get(key)
            start = None
            if stream.valid_key(key):
                start = await database_sync_to_async(subscriptions.start)(
                    stream, self.user_id, key, after_seq if isinstance(after_seq, int) else None)
            if start is None:  # missing or someone else's: the same answer
                await self.send_json({"type": "error", "code": "not_found", "stream": name, "id": key,
                                      "message": f"No {name} {key} of yours."})
                continue
            accepted.append(key)
            starts.append((key, start))
        if accepted:
            await self.send_json({"type": "subscribed", "stream": name, "ids": accepted})
        for key, start in starts:
            self.subscribed.add((name, key))
            for event in start.events:
                is_snapshot = event.envelope["kind"] == subscriptions.SNAPSHOT
                await self._deliver(name, key, event.seq, event.text, snapshot=is_snapshot)

    # --- events from the channel layer ----------------------------------------------------------
    async def live_event(self, message: dict[str, Any]) -> None:
        name, key = message["stream"], message["key"]
        if name in self.all_of or (name, key) in self.subscribed:
            await self._deliver(name, key, message["seq"], message["text"])

    async def _deliver(self, name: str, key: str, seq: int, text: str, *, snapshot: bool = False) -> None:
        last = self.last_seq.get((name, key), 0)
        if seq <= last and not (snapshot and seq == last):
            return  # already sent, or older than what was sent
        self.last_seq[(name, key)] = seq
        await self.send(text_data=text)

    # --- closing --------------------------------------------------------------------------------
    async def refuse(self, code: int, reason: str) -> None:
        await self.send_json({"type": "error", "code": reason})
        await self.close(code=code, reason=reason)

    def _close_later(self, delay: float, code: int, reason: str) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(
            delay, lambda: asyncio.ensure_future(self.refuse(code, reason)))

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content))
