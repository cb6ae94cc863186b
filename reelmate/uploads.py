"""What an untrusted upload's checks raise when they refuse it, whatever kind of file they check
(``reelmate.images``, ``reelmate.media``, and the API field that reports either)."""
from __future__ import annotations


class UploadRejected(Exception):
    """The upload is not a file we accept; ``message`` says why, for the person who sent it."""

    code = "invalid_upload"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UploadTooLarge(UploadRejected):
    """Over a size limit: the request as a whole is refused, not just the field."""

    code = "file_too_large"
