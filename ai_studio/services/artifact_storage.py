"""The engine's ArtifactStore on top of Django's default storage (S3 or local signed files), and
removing the files of runs that did not complete — now, or later if storage is down."""
from __future__ import annotations

import logging
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import F

from ai_studio.generation.artifacts import ArtifactError, delete_artifacts
from ai_studio.models import PendingFileDeletion

logger = logging.getLogger(__name__)


class DjangoStorageArtifactStore:
    def __init__(self, storage=None) -> None:
        self.storage = storage or default_storage

    def put(self, local_path: Path, key: str, content_type: str) -> str:
        # Each run writes under a prefix of its own (services.execution.run_prefix): a key is
        # written once, never replaced.
        try:
            with open(local_path, "rb") as handle:
                upload = File(handle, name=key)
                upload.content_type = content_type
                saved = self.storage.save(key, upload)
        except Exception as error:  # OSError, botocore connection/throttling/5xx errors (after its retries)
            raise ArtifactError("storage_unavailable", f"Could not store {key}: {error}") from error
        if saved != key:
            raise ArtifactError("storage_key_mismatch", f"Storage saved {key} as {saved}.")
        return saved

    def delete(self, key: str) -> None:
        try:
            self.storage.delete(key)
        except Exception as error:
            raise ArtifactError("storage_unavailable", f"Could not delete {key}: {error}") from error

    def download(self, key: str, target: Path) -> Path:
        """Copy a stored file (an avatar portrait, a logo) into the job's work folder."""
        try:
            with self.storage.open(key, "rb") as source, open(target, "wb") as sink:
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    sink.write(chunk)
        except FileNotFoundError:
            raise
        except Exception as error:
            raise ArtifactError("storage_unavailable", f"Could not read {key}: {error}") from error
        return target


def discard_files(prefix: str) -> None:
    """Remove the artifacts under `prefix` (a run that will not complete); when storage is down,
    remember the prefix so that `purge_pending_deletions` removes them once it is back."""
    try:
        delete_artifacts(DjangoStorageArtifactStore(), prefix)
    except ArtifactError as error:
        logger.warning("storage unavailable; files under %s will be removed later", prefix)
        PendingFileDeletion.objects.update_or_create(prefix=prefix, defaults={"last_error": error.message[:2000]})


def purge_pending_deletions(*, limit: int = 200) -> int:
    """Remove files left behind while storage was down, oldest first; returns how many prefixes
    were cleared. Stops at the first failure: storage is still down, the next run tries again."""
    store, cleared = DjangoStorageArtifactStore(), 0
    for pending in PendingFileDeletion.objects.all()[:limit]:
        try:
            delete_artifacts(store, pending.prefix)
        except ArtifactError as error:
            PendingFileDeletion.objects.filter(pk=pending.pk).update(attempts=F("attempts") + 1,
                                                                      last_error=error.message[:2000])
            break
        pending.delete()
        cleared += 1
    return cleared
