"""The engine's ArtifactStore on top of Django's default storage (S3 or local signed files)."""
from __future__ import annotations

from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage

from ai_studio.generation.artifacts import ArtifactError


class DjangoStorageArtifactStore:
    def __init__(self, storage=None) -> None:
        self.storage = storage or default_storage

    def put(self, local_path: Path, key: str, content_type: str) -> str:
        try:
            if self.storage.exists(key):  # the same job run again: replace, never rename
                self.storage.delete(key)
            with open(local_path, "rb") as handle:
                upload = File(handle, name=key)
                upload.content_type = content_type
                saved = self.storage.save(key, upload)
        except Exception as error:  # OSError, botocore connection/throttling/5xx errors
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
