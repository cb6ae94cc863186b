"""Where a reel's files go: an ArtifactStore and the key layout.

Keys are deterministic under the prefix the caller chooses (`<prefix>/reel.mp4`, ...). The worker
gives each run of a job a prefix of its own, so two runs of one job never write the same key.
"""
from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .errors import TransientError


class ArtifactError(TransientError):
    """Storage failed: network, throttling, 5xx — the job is retried later."""


class ArtifactStore(Protocol):
    def put(self, local_path: Path, key: str, content_type: str) -> str:
        """Store the file under exactly `key` (replacing what is there) and return the key."""
        ...

    def delete(self, key: str) -> None: ...


@dataclass(frozen=True)
class ArtifactFile:
    role: str  # "video" | "thumbnail" | "audio" | "captions_srt" | "captions_vtt"
    filename: str
    content_type: str


ARTIFACT_FILES = (
    ArtifactFile("video", "reel.mp4", "video/mp4"),
    ArtifactFile("thumbnail", "thumbnail.jpg", "image/jpeg"),
    ArtifactFile("audio", "voice.wav", "audio/wav"),
    ArtifactFile("captions_srt", "captions.srt", "application/x-subrip"),
    ArtifactFile("captions_vtt", "captions.vtt", "text/vtt"),
)


def artifact_keys(prefix: str) -> dict[str, str]:
    """The storage key of every artifact role under a prefix such as `users/7/videos/<job id>`."""
    return {item.role: f"{prefix.rstrip('/')}/{item.filename}" for item in ARTIFACT_FILES}


def upload_artifacts(store: ArtifactStore, files: dict[str, Path], prefix: str) -> dict[str, str]:
    """Upload every role's file under its deterministic key and return the keys.

    A failure part-way leaves what was uploaded: the caller, who knows whether the run may still
    complete, removes them (`delete_artifacts`).
    """
    keys = artifact_keys(prefix)
    content_types = {item.role: item.content_type for item in ARTIFACT_FILES}
    for role, path in files.items():
        store.put(path, keys[role], content_types[role])
    return {role: keys[role] for role in files}


def delete_artifacts(store: ArtifactStore, prefix: str) -> None:
    for key in artifact_keys(prefix).values():
        store.delete(key)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class DirectoryArtifactStore:
    """Artifacts as plain files in a folder (the CLI and benchmarks)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put(self, local_path: Path, key: str, content_type: str) -> str:
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local_path, target)
        return key

    def delete(self, key: str) -> None:
        (self.root / key).unlink(missing_ok=True)
