"""Share links, downloads, and player-event ingest into the daily rollups.

Ingest path
-----------
`ingest_player_events` validates what the API received (every video must resolve, or nothing is
recorded) and hands `TrackedEvent`s to `track_events`:

* With REDIS_URL set, the events are appended to a Redis list in a single RPUSH and the request
  returns; no database write happens on the request path, so a flood costs one Redis round trip
  per request. `flush_event_buffer` (a beat task every 5 s) folds the buffer into the rollups:
  a Lua script atomically moves up to `FLUSH_BATCH_SIZE` events from the queue into a list of
  their own and records that batch's id in a pending set; the batch is applied together with a
  `ProcessedEventBatch` marker in one database transaction; only after the commit is the batch
  list deleted. A crash at any point leaves events either still queued or in a pending batch,
  which the next flush applies - exactly once, because a batch whose marker exists is dropped
  instead of re-applied. If Redis cannot be reached at ingest, events are written directly
  (so an outage loses nothing; a timeout *after* Redis stored the events could count them twice),
  and for the next OUTAGE_RECHECK_SECONDS ingest writes directly without trying Redis (a circuit
  breaker), so an outage costs requests no connect timeouts.
  Buffered events survive a Redis restart only if Redis persists them (appendonly yes).
* Without REDIS_URL (the embedded default) ingest writes the rollups directly.

What public ingest may cost
---------------------------
Anyone with a share link can send events, so what a sender can add is bounded:

* New viewer ids: at most ANALYTICS_NEW_VIEWERS_PER_IP_PER_DAY distinct viewer ids a day from one
  client address (counted in the cache at ingest), and at most ANALYTICS_NEW_VIEWERS_PER_VIDEO_PER_DAY
  new viewers a day for one video (its share link; exact, under the rollup's row lock). Beyond a
  bound the events are still counted - views, plays, clicks, completes - but their viewer stays
  anonymous: not a new unique viewer, no watch time. Refusing them would lose real views from a
  crowd behind one address (an office, a mobile carrier's NAT); counting them as viewers would let
  made-up viewer ids inflate the audience. Viewers already counted that day stay recognised.
* The Redis buffer: at most ANALYTICS_EVENT_BUFFER_MAX events wait for the flush; a batch that would
  go over is refused whole (429 `event_buffer_full`, Retry-After) rather than grow Redis unbounded.
* Per-viewer rows (`DailyViewer`) are kept ANALYTICS_VIEWER_RETENTION_DAYS days, then pruned by beat.

Rollups and their definitions
-----------------------------
* views, plays, completes, cta_clicks, shares, downloads: the number of events of that type.
* unique viewers: distinct viewer ids that sent a view, play, progress or complete event (within
  the bounds above). Exact: one `DailyViewer` row per (video, day, viewer). Over a period (or a
  campaign), reports count distinct viewers across it, not the sum of the daily figures - for the
  days whose viewer rows are kept; earlier days add their daily figures (a returning viewer counts
  again there).
* watch seconds: for each viewer and day, the furthest position reached in the video (progress
  events carry it; complete means the end), capped at the video's duration, summed over viewers.
  Re-watching adds nothing and skipping ahead counts as watched up to where the viewer got: a
  position-based approximation of "seconds watched" that needs no per-second heartbeat.
* average percent watched: watch seconds / (viewer-days x video duration) x 100.
* completion rate: completes / plays x 100; click-through rate: CTA clicks / views x 100.
* a day is the UTC date on which the server received the event (client clocks are not trusted).

Counters are incremented with F() expressions under a row lock on the (video, day) stats row,
which also serialises the viewer bookkeeping for that row, so concurrent writers are exact.
"""
from __future__ import annotations

import ipaddress
import json
import logging
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.text import slugify

from ai_studio.models import GeneratedVideo, JobStatus
from reelmate.circuit import breaker, location
from reelmate.errors import NotFound, RateLimited
from reelmate.redis_clients import fail_fast_client
from reelmate.storage import presigned_url

from . import selectors
from .models import (
    DailyViewer,
    EventType,
    ProcessedEventBatch,
    ShareLink,
    VideoDailyStats,
)

logger = logging.getLogger(__name__)

DOWNLOAD_URL_SECONDS = 300
FLUSH_BATCH_SIZE = 2000  # below Lua's unpack() limit; one transaction per batch
FLUSH_TIME_BUDGET_SECONDS = 20.0
FLUSH_LOCK_SECONDS = 60
PROCESSED_BATCH_RETENTION = timedelta(days=2)
BUFFER_FULL_RETRY_AFTER_SECONDS = 10  # two flushes (every 5 s) drain thousands of events
VIEWER_PRUNE_BATCH_SIZE = 5000
VIEWER_PRUNE_TIME_BUDGET_SECONDS = 60.0
# Cached "viewers seen from this address today" live a day and an hour: the key names the day.
_IP_VIEWERS_SECONDS = 25 * 3600

_QUEUE_KEY = "reelmate:analytics:events"
_PENDING_BATCHES_KEY = "reelmate:analytics:pending-batches"
_BATCH_KEY_PREFIX = "reelmate:analytics:batch:"
_FLUSH_LOCK_KEY = "reelmate:analytics:flush-lock"
_DB_CHUNK = 500  # rows per IN (...) list / bulk statement

# Move up to ARGV[2] events from the queue into this batch's own list and mark the batch pending,
# atomically: there is no instant at which a claimed event is in neither place.
_CLAIM_BATCH_SCRIPT = """
local events = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
if #events == 0 then return 0 end
redis.call('RPUSH', KEYS[2], unpack(events))
redis.call('LTRIM', KEYS[1], #events, -1)
redis.call('SADD', KEYS[3], ARGV[1])
return #events
"""
# Append the batch unless the queue would then hold more than ARGV[1] events (one atomic step, so
# concurrent senders cannot overshoot together). Returns the new length, or -1 when refused.
_PUSH_UNLESS_FULL_SCRIPT = """
if redis.call('LLEN', KEYS[1]) + #ARGV - 1 > tonumber(ARGV[1]) then return -1 end
return redis.call('RPUSH', KEYS[1], unpack(ARGV, 2))
"""
_RELEASE_LOCK_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_COUNTER_FOR_EVENT = {
    EventType.VIEW: "views",
    EventType.PLAY: "plays",
    EventType.COMPLETE: "completes",
    EventType.CTA_CLICK: "cta_clicks",
    EventType.SHARE: "shares",
    EventType.DOWNLOAD: "downloads",
}
_WATCHING_EVENTS = {EventType.VIEW, EventType.PLAY, EventType.PROGRESS, EventType.COMPLETE}


# --- Sharing and downloads --------------------------------------------------------------------
def share_video(*, video: GeneratedVideo) -> tuple[ShareLink, bool]:
    """The video's active share link, created if there is none; `True` when it was just created."""
    existing = ShareLink.objects.filter(video=video, revoked_at__isnull=True).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            return ShareLink.objects.create(video=video), True
    except IntegrityError:  # a concurrent request shared it first: one active link per video
        return ShareLink.objects.get(video=video, revoked_at__isnull=True), False


def share_variant_video(*, job_id) -> ShareLink | None:
    """The share link of a variant's video (one link per variant), once its job has completed; None
    for a job that is not a variant of a group or has no video. Called on `job_changed` completed."""
    video = GeneratedVideo.objects.filter(job_id=job_id, job__variant__isnull=False).first()
    if video is None:
        return None
    link, created = share_video(video=video)
    if created:
        logger.info("variant shared", extra={"job_id": str(job_id), "video_id": str(video.pk)})
    return link


def share_unshared_variants(*, group) -> int:
    """Share the completed variants of `group` whose video never had a link (the completion receiver
    missed it: it runs after commit and its errors are dropped). A link the owner revoked stays
    revoked. Returns how many links were made."""
    made = 0
    for video in GeneratedVideo.objects.filter(job__variant__group=group, job__status=JobStatus.COMPLETED,
                                               share_links__isnull=True):
        made += share_video(video=video)[1]
    return made


def revoke_share(*, video: GeneratedVideo) -> bool:
    """Revoke the active link (its page then answers 404); `False` if there was none."""
    return ShareLink.objects.filter(video=video, revoked_at__isnull=True).update(revoked_at=timezone.now()) > 0


def download_filename(video: GeneratedVideo) -> str:
    return f"{slugify(video.title) or 'reelmate-video'}.mp4"


def start_download(*, video: GeneratedVideo, user) -> str:
    """Count a download by `user` and return a short-lived URL that saves the MP4 under a real name."""
    download = TrackedEvent.now(video_id=video.pk, type=EventType.DOWNLOAD, viewer_hash=viewer_hash(f"user:{user.pk}"))
    try:
        track_events([download])
    except EventBufferFull:
        record_events([download])  # an owner's download is never refused for the buffer's sake
    return presigned_url(video.video_key, expire=DOWNLOAD_URL_SECONDS, download_as=download_filename(video))


# --- Events -----------------------------------------------------------------------------------
def viewer_hash(viewer_id: str) -> str:
    """Viewer ids are stored keyed-hashed: countable, but not the identifier the browser sent."""
    return salted_hmac("reelmate.analytics.viewer", viewer_id).hexdigest()[:32]


@dataclass(frozen=True)
class TrackedEvent:
    video_id: str
    type: str
    viewer_hash: str
    day: date
    position_seconds: float | None = None

    @classmethod
    def now(cls, *, video_id, type: str, viewer_hash: str, position_seconds: float | None = None) -> TrackedEvent:
        return cls(video_id=str(video_id), type=type, viewer_hash=viewer_hash, day=timezone.localdate(),
                   position_seconds=position_seconds)

    def to_json(self) -> str:
        return json.dumps({"v": self.video_id, "t": self.type, "h": self.viewer_hash, "d": self.day.isoformat(),
                           "p": self.position_seconds}, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: bytes | str) -> TrackedEvent:
        data = json.loads(raw)
        return cls(video_id=data["v"], type=data["t"], viewer_hash=data["h"], day=date.fromisoformat(data["d"]),
                   position_seconds=data["p"])


class UnknownVideo(NotFound):
    """An event names a video that does not exist, is not the caller's, or whose link was revoked."""

    default_message = "Unknown video or share link; nothing was recorded."


class EventBufferFull(RateLimited):
    """The Redis buffer holds ANALYTICS_EVENT_BUFFER_MAX events already; the batch was not recorded."""

    default_code = "event_buffer_full"
    default_message = "Too many events are waiting to be counted; send the batch again after Retry-After."

    def __init__(self):
        super().__init__(retry_after=BUFFER_FULL_RETRY_AFTER_SECONDS)


def ingest_player_events(*, events: list[dict], user, client_ip: str) -> int:
    """Record validated player events (each with `share_token` or `video_id`); all or nothing.

    `video_id` is accepted only for the caller's own videos; anonymous viewers use share tokens.
    Viewer ids new today beyond what `client_ip` may bring are recorded anonymous (see module doc).
    Raises `EventBufferFull` when the buffer cannot take the batch.
    """
    tokens = {event["share_token"] for event in events if event.get("share_token")}
    video_ids = {event["video_id"] for event in events if event.get("video_id")}
    video_for_token = selectors.video_ids_for_share_tokens(tokens)
    owned_ids = selectors.owned_video_ids(owner=user, video_ids=video_ids) if user.is_authenticated else set()
    if len(video_for_token) != len(tokens) or owned_ids != video_ids:
        raise UnknownVideo()
    tracked = [
        TrackedEvent.now(
            video_id=video_for_token[event["share_token"]] if event.get("share_token") else event["video_id"],
            type=event["type"], viewer_hash=viewer_hash(event["viewer_id"]),
            position_seconds=event.get("position"),
        )
        for event in events
    ]
    admitted = admit_viewers_from(client_ip, {event.viewer_hash for event in tracked})
    track_events([event if event.viewer_hash in admitted else replace(event, viewer_hash="") for event in tracked])
    return len(tracked)


def admit_viewers_from(client_ip: str, viewer_hashes: set[str]) -> set[str]:
    """Which of these viewers may count as viewers when sent from `client_ip` today: those it already
    sent today, and new ones while it has sent fewer than ANALYTICS_NEW_VIEWERS_PER_IP_PER_DAY.

    Counted in the default cache (a marker per viewer, a counter per address and day; the counter
    is incremented atomically, so parallel requests cannot overshoot it together). An IPv6 /64 is
    one address, as for the per-IP rate limits. An evicted entry errs a little either way (a
    forgotten viewer counts against the bound again, a forgotten counter restarts); the per-video
    bound, in the database, is exact.
    """
    address = ipaddress.ip_network(client_ip if ":" not in client_ip else f"{client_ip}/64", strict=False)
    hashed = salted_hmac("reelmate.analytics.ip", str(address)).hexdigest()[:24]  # no raw addresses in the cache
    scope = f"analytics:ip-viewers:{hashed}:{timezone.localdate().isoformat()}"
    marker = {viewer: f"{scope}:{viewer}" for viewer in viewer_hashes}
    seen = cache.get_many(list(marker.values()))
    admitted = {viewer for viewer, key in marker.items() if key in seen}
    new = sorted(viewer_hashes - admitted)
    if not new:
        return admitted
    counter = f"{scope}:count"
    try:
        total = cache.incr(counter, len(new))
    except ValueError:  # the address's first new viewers today (or its counter was evicted)
        total = len(new) if cache.add(counter, len(new), timeout=_IP_VIEWERS_SECONDS) else cache.incr(counter, len(new))
    room = max(0, settings.ANALYTICS_NEW_VIEWERS_PER_IP_PER_DAY - (total - len(new)))
    welcome = new[:room]
    cache.set_many({marker[viewer]: 1 for viewer in welcome}, timeout=_IP_VIEWERS_SECONDS)
    return admitted | set(welcome)


def track_events(events: list[TrackedEvent]) -> None:
    """Buffer events in Redis when configured (falling back to a direct write), else write them.

    Raises `EventBufferFull` if the buffer would hold more than ANALYTICS_EVENT_BUFFER_MAX events.
    """
    if not events:
        return
    buffer = _event_buffer()
    gate = breaker(f"analytics event buffer at {location(settings.REDIS_URL)}")
    if buffer is not None and not gate.is_open():
        try:
            queued = buffer.eval(_PUSH_UNLESS_FULL_SCRIPT, 1, _QUEUE_KEY, settings.ANALYTICS_EVENT_BUFFER_MAX,
                                 *(event.to_json() for event in events))
        except redis.RedisError as error:
            gate.record_failure(error)  # logged once per outage; the next few seconds skip Redis at once
        else:
            gate.record_success()
            if queued < 0:
                raise EventBufferFull()
            return
    record_events(events)


@dataclass
class _DayTally:
    """What one batch adds to one (video, day): counter increments and each viewer's furthest position."""

    counters: Counter = field(default_factory=Counter)
    furthest_position: dict[str, float] = field(default_factory=dict)


def record_events(events: list[TrackedEvent]) -> None:
    """Fold events into `VideoDailyStats` and `DailyViewer`, atomically and exactly."""
    durations = {str(pk): duration for pk, duration in GeneratedVideo.objects.filter(
        pk__in={event.video_id for event in events}).values_list("pk", "duration_seconds")}
    tallies: dict[tuple[str, date], _DayTally] = defaultdict(_DayTally)
    for event in events:
        duration = durations.get(event.video_id)
        if duration is None:
            continue  # the video was deleted after the event was accepted
        tally = tallies[(event.video_id, event.day)]
        if event.type in _COUNTER_FOR_EVENT:
            tally.counters[_COUNTER_FOR_EVENT[event.type]] += 1
        if event.type in _WATCHING_EVENTS and event.viewer_hash:
            reached = duration if event.type == EventType.COMPLETE else min(event.position_seconds or 0.0, duration)
            previous = tally.furthest_position.get(event.viewer_hash, 0.0)
            tally.furthest_position[event.viewer_hash] = max(previous, reached)
    with transaction.atomic():
        for video_id, day in sorted(tallies):  # one lock order for every writer: no deadlocks
            _apply_day_tally(video_id, day, tallies[(video_id, day)])


def _apply_day_tally(video_id: str, day: date, tally: _DayTally) -> None:
    # The row lock serialises every writer of this (video, day), so the viewer rows read below
    # cannot change until this transaction ends.
    stats, _ = VideoDailyStats.objects.select_for_update().get_or_create(video_id=video_id, date=day)
    room = max(0, settings.ANALYTICS_NEW_VIEWERS_PER_VIDEO_PER_DAY - stats.unique_viewers)
    new_viewers, watch_gain = _advance_viewers(video_id, day, tally.furthest_position, room)
    increments = {name: F(name) + amount for name, amount in tally.counters.items()}
    if new_viewers:
        increments["unique_viewers"] = F("unique_viewers") + new_viewers
    if watch_gain:
        increments["watch_seconds"] = F("watch_seconds") + watch_gain
    if increments:
        VideoDailyStats.objects.filter(pk=stats.pk).update(**increments)


def _advance_viewers(video_id: str, day: date, furthest_position: dict[str, float], room: int) -> tuple[int, float]:
    """Insert first-time viewers (at most `room`; the rest stay anonymous) and move returning ones
    further; returns (new viewers, watch seconds gained)."""
    hashes = list(furthest_position)
    known: dict[str, DailyViewer] = {}
    for start in range(0, len(hashes), _DB_CHUNK):
        chunk = hashes[start:start + _DB_CHUNK]
        for viewer in DailyViewer.objects.filter(video_id=video_id, date=day, viewer_hash__in=chunk):
            known[viewer.viewer_hash] = viewer
    first_timers = [DailyViewer(video_id=video_id, date=day, viewer_hash=viewer, max_position_seconds=position)
                    for viewer, position in furthest_position.items() if viewer not in known][:room]
    DailyViewer.objects.bulk_create(first_timers, batch_size=_DB_CHUNK)
    watch_gain = sum(viewer.max_position_seconds for viewer in first_timers)
    moved_on = []
    for viewer in known.values():
        reached = furthest_position[viewer.viewer_hash]
        if reached > viewer.max_position_seconds:
            watch_gain += reached - viewer.max_position_seconds
            viewer.max_position_seconds = reached
            moved_on.append(viewer)
    DailyViewer.objects.bulk_update(moved_on, ["max_position_seconds"], batch_size=_DB_CHUNK)
    return len(first_timers), watch_gain


# --- The Redis buffer -------------------------------------------------------------------------
def _event_buffer() -> redis.Redis | None:
    return fail_fast_client(settings.REDIS_URL) if settings.REDIS_URL else None


@dataclass
class FlushResult:
    batches: int = 0
    events: int = 0


def flush_event_buffer(*, batch_size: int = FLUSH_BATCH_SIZE,
                       time_budget_seconds: float = FLUSH_TIME_BUDGET_SECONDS) -> FlushResult:
    """Apply buffered events to the rollups: leftovers of a crashed flush first, then the queue."""
    buffer = _event_buffer()
    result = FlushResult()
    if buffer is None:
        return result
    lock_token = uuid.uuid4().hex
    # One flusher at a time avoids wasted work; correctness does not depend on it (see module doc).
    if not buffer.set(_FLUSH_LOCK_KEY, lock_token, nx=True, ex=FLUSH_LOCK_SECONDS):
        return result
    try:
        for batch_id in buffer.smembers(_PENDING_BATCHES_KEY):
            _apply_buffered_batch(buffer, batch_id.decode(), result)
        deadline = time.monotonic() + time_budget_seconds
        while time.monotonic() < deadline:
            batch_id = uuid.uuid4().hex
            claimed = buffer.eval(_CLAIM_BATCH_SCRIPT, 3, _QUEUE_KEY, _BATCH_KEY_PREFIX + batch_id,
                                  _PENDING_BATCHES_KEY, batch_id, batch_size)
            if not claimed:
                break
            _apply_buffered_batch(buffer, batch_id, result)
    finally:
        buffer.eval(_RELEASE_LOCK_SCRIPT, 1, _FLUSH_LOCK_KEY, lock_token)
    return result


def buffered_event_count() -> int | None:
    buffer = _event_buffer()
    return None if buffer is None else buffer.llen(_QUEUE_KEY)


def _apply_buffered_batch(buffer: redis.Redis, batch_id: str, result: FlushResult) -> None:
    batch_key = _BATCH_KEY_PREFIX + batch_id
    events = []
    for raw in buffer.lrange(batch_key, 0, -1):
        try:
            events.append(TrackedEvent.from_json(raw))
        except (ValueError, KeyError, TypeError):
            logger.error("dropping a malformed buffered analytics event: %r", raw[:200])
    with transaction.atomic():
        first_time = _mark_batch_processed(batch_id, len(events))
        if first_time:
            record_events(events)
    # Only after the commit: a crash before this point leaves the batch pending, and its marker
    # turns the retry into a no-op.
    buffer.pipeline().delete(batch_key).srem(_PENDING_BATCHES_KEY, batch_id).execute()
    if first_time:
        result.batches += 1
        result.events += len(events)


def _mark_batch_processed(batch_id: str, event_count: int) -> bool:
    """Insert the batch's marker; `False` if it exists (the batch was applied before)."""
    try:
        with transaction.atomic():
            ProcessedEventBatch.objects.create(batch_id=batch_id, event_count=event_count)
    except IntegrityError:
        return False
    return True


def prune_processed_batches(*, older_than: timedelta = PROCESSED_BATCH_RETENTION) -> int:
    """Markers are only needed until their batch is deleted from Redis, seconds after commit."""
    deleted, _ = ProcessedEventBatch.objects.filter(processed_at__lt=timezone.now() - older_than).delete()
    return deleted


def prune_daily_viewers(*, batch_size: int = VIEWER_PRUNE_BATCH_SIZE,
                        time_budget_seconds: float = VIEWER_PRUNE_TIME_BUDGET_SECONDS) -> int:
    """Delete per-viewer rows of days before the retention period, a batch at a time, until none is
    left or the time budget is spent (the next run goes on). Returns how many rows were deleted."""
    expired = DailyViewer.objects.filter(date__lt=selectors.viewer_rows_kept_from())
    deadline = time.monotonic() + time_budget_seconds
    deleted = 0
    while time.monotonic() < deadline:
        batch = list(expired.values_list("pk", flat=True)[:batch_size])
        if not batch:
            break
        deleted += DailyViewer.objects.filter(pk__in=batch).delete()[0]
    return deleted
