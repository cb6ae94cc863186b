"""Synthesised sentences kept on disk, so that a batch's shared sentences are spoken once per machine.

In a personalised batch ("one script for 200 stores") most sentences are the same in every row;
only those holding a variable differ. A neural voice speaks each sentence in one model run, given
its inputs (the sentence's phoneme ids, the speed and noise scales, the speaker) and the model;
the run also draws random noise (Piper's RandomNormalLike), so two takes of a sentence differ
slightly. ``SentenceCache`` keeps a take's outputs (the audio and each phoneme id's sample count,
from which word timings, captions and mouth shapes are built) under a digest of the inputs and
the model, and ``CachedSession`` answers a run seen before with them: the first take is replayed.
What the engine then does with the outputs is unchanged, so a reel built from cached sentences is
exactly the reel that the first synthesis of each made (and a batch's shared sentences sound the
same in every reel).

One folder per machine, shared by its worker processes (workers on other machines each keep
theirs: a sentence costs a few hundred ms to speak and ~90 KB per second to keep, not worth a
network round trip):

- an entry is written to a temporary file and renamed into place (atomic: a reader sees a whole
  entry or none; two processes writing the same sentence both write a whole one);
- an entry that cannot be read back whole (truncated, corrupted, another format) is a miss, and
  the synthesis that follows rewrites it: the cache never fails a job, and a full disk or a
  read-only folder only means no caching;
- the folder is bounded: least recently used entries go first (a hit touches the entry's mtime;
  atime is often not kept). A ``SentenceCache`` (a worker makes one per job) checks the folder's
  size on its first write and again after writing a sixteenth of the bound, so that listing the
  folder stays rare; several processes overshoot the bound by at most that much each between checks.

Nothing is kept in memory: an entry is read for the run that needs it and dropped with it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

# Part of every key: a new layout of entries (or of what a key covers) never reads an old one.
FORMAT_VERSION = 1
SUFFIX = ".npz"
# A temporary file older than this was left by a writer that died; the eviction removes it.
STALE_TEMPORARY_SECONDS = 3600.0
# Once over the bound, entries are removed down to this share of it, so that eviction is not
# run again on the very next write.
EVICT_TO = 0.9


@dataclass
class CacheCounts:
    """What a cache (or one script's synthesis) did: runs answered from the cache, runs synthesised."""

    hits: int = 0
    misses: int = 0

    def __str__(self) -> str:
        return f"{self.hits} hits, {self.misses} misses"


class SentenceCache:
    """Model outputs on disk under ``directory``, at most ``max_bytes`` of them (see the module)."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive (no cache at all is None)")
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.counts = CacheCounts()  # this process's, for logs and benchmarks
        self._written_since_check: int | None = None  # None: not checked yet
        self._lock = threading.Lock()

    def get(self, key: str) -> list[np.ndarray] | None:
        """The outputs stored under ``key``, or None (absent, unreadable or not whole)."""
        path = self._path(key)
        try:
            with np.load(path, allow_pickle=False) as entry:
                if str(entry["key"]) != key:
                    raise ValueError("an entry stored under another key")
                count = int(entry["count"])
                outputs = [np.array(entry[f"output_{index}"]) for index in range(count)]
        except (FileNotFoundError, NotADirectoryError):
            self._count(hit=False)
            return None
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            # A torn or corrupted entry: a miss; the synthesis that follows writes it anew.
            logger.warning("speech cache: unreadable entry %s (%s); speaking the sentence again", path.name, error)
            self._count(hit=False)
            return None
        try:
            os.utime(path)  # most recently used: evicted last
        except OSError:
            pass  # evicted meanwhile: the outputs read are whole all the same
        self._count(hit=True)
        return outputs

    def put(self, key: str, outputs: Sequence[np.ndarray]) -> None:
        """Store ``outputs`` under ``key`` (atomically); never raises for a folder that cannot take it."""
        arrays = {f"output_{index}": np.asarray(output) for index, output in enumerate(outputs)}
        temporary = self.directory / f".{key}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with open(temporary, "wb") as file:
                np.savez(file, key=np.array(key), count=np.array(len(arrays)), **arrays)
            size = temporary.stat().st_size
            os.replace(temporary, self._path(key))
        except OSError as error:
            logger.warning("speech cache: could not store a sentence in %s: %s", self.directory, error)
            try:
                temporary.unlink(missing_ok=True)
            except OSError:
                pass  # the folder itself is missing or unusable: nothing was written
            return
        self._after_write(size)

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}{SUFFIX}"

    def _count(self, *, hit: bool) -> None:
        with self._lock:
            if hit:
                self.counts.hits += 1
            else:
                self.counts.misses += 1

    def _after_write(self, size: int) -> None:
        with self._lock:
            due = self._written_since_check is None or self._written_since_check + size >= self.max_bytes / 16
            self._written_since_check = 0 if due else self._written_since_check + size
        if due:
            self.evict()

    def evict(self) -> None:
        """Remove the least recently used entries until the folder holds at most the bound (down to
        EVICT_TO of it), and temporary files left by writers that died."""
        entries: list[tuple[float, int, Path]] = []
        now = time.time()
        try:
            with os.scandir(self.directory) as listing:
                for item in listing:
                    try:
                        stat = item.stat()
                    except OSError:
                        continue  # removed meanwhile
                    if item.name.endswith(SUFFIX):
                        entries.append((stat.st_mtime, stat.st_size, Path(item.path)))
                    elif item.name.endswith(".tmp") and now - stat.st_mtime > STALE_TEMPORARY_SECONDS:
                        Path(item.path).unlink(missing_ok=True)
        except OSError as error:
            logger.warning("speech cache: could not list %s: %s", self.directory, error)
            return
        total = sum(size for _, size, _ in entries)
        if total <= self.max_bytes:
            return
        for _, size, path in sorted(entries):
            try:
                path.unlink()  # a reader that opened it keeps reading; a later one misses
            except FileNotFoundError:
                pass  # another process evicted it first
            except OSError as error:
                logger.warning("speech cache: could not evict %s: %s", path.name, error)
                continue
            total -= size
            if total <= self.max_bytes * EVICT_TO:
                break


def run_key(model_identity: str, feed: Mapping[str, np.ndarray]) -> str:
    """A digest of everything a model run's outputs depend on: the model (its identity) and every
    input, by name, type, shape and bytes."""
    digest = hashlib.sha256(f"{FORMAT_VERSION}\0{model_identity}".encode())
    for name in sorted(feed):
        value = np.ascontiguousarray(feed[name])
        digest.update(f"\0{name}\0{value.dtype.str}\0{value.shape}\0".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


class CachedSession:
    """An ONNX Runtime session for Piper to run, answering the runs whose inputs were seen before
    from ``cache``. The real session is asked of ``load_session`` on the first run the cache
    cannot answer, so a script whose sentences are all cached never loads the model. Runs with
    options (the arena shrinkage after a script) or for named outputs go to the real session.
    ``counts`` are this session's (one script's)."""

    def __init__(self, load_session: Callable[[], Any], cache: SentenceCache, model_identity: str) -> None:
        self._load_session = load_session
        self._session = None
        self.cache = cache
        self.model_identity = model_identity
        self.counts = CacheCounts()

    @property
    def session(self):
        if self._session is None:
            self._session = self._load_session()
        return self._session

    def run(self, output_names, input_feed, run_options=None):
        if output_names is not None or run_options is not None:
            return self.session.run(output_names, input_feed, run_options)
        key = run_key(self.model_identity, input_feed)
        outputs = self.cache.get(key)
        if outputs is not None:  # the identity names the model's outputs: as many as the model gives
            self.counts.hits += 1
            return outputs
        outputs = self.session.run(None, input_feed)
        self.counts.misses += 1
        self.cache.put(key, outputs)
        return outputs

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)  # not set yet (a copy being made): never load the model for it
        return getattr(self.session, name)  # inputs, outputs, providers: the real session's
