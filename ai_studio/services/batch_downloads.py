"""A batch's videos as one ZIP, written while it is sent, and its manifest (row → video, URL, status).

`zip_stream` yields the archive piece by piece: each video is read from storage in chunks
(``reelmate.storage.read_chunks``) and written into the ZIP as it arrives, STORED (MP4 does not
compress), so neither the videos nor the archive are ever held in memory or written to local disk;
the manifest comes last, as ``manifest.csv``. The ZIP uses ZIP64 where needed (zipstream-ng).
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from zipfile import ZIP_DEFLATED, ZIP_STORED

from zipstream import ZipStream

from ai_studio.models import GenerationBatch, JobStatus, VideoGenerationJob
from reelmate.storage import presigned_url, read_chunks

MANIFEST_COLUMNS = ("row", "job_id", "status", "title", "video_id", "file", "url", "error")


def batch_rows(batch: GenerationBatch):
    """The batch's jobs in row order with their videos (only what the manifest needs)."""
    return (VideoGenerationJob.objects.filter(batch=batch).select_related("video").order_by("batch_row")
            .only("id", "batch_row", "status", "title", "error_code", "video__id", "video__video_key",
                  "video__title"))


def file_name(job: VideoGenerationJob) -> str:
    """``0007-rocket-shoes-in-leeds.mp4``: the row (sorted as text too) and a safe slug of the title."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", job.title or "").strip("-").lower()[:60]
    return f"{job.batch_row:04d}{'-' + slug if slug else ''}.mp4"


def _finished_video(job: VideoGenerationJob):
    return getattr(job, "video", None) if job.status == JobStatus.COMPLETED else None


def spreadsheet_safe(text: str) -> str:
    """A user's text that a spreadsheet opening the CSV will not run as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def manifest_rows(batch: GenerationBatch, *, in_zip: bool) -> Iterator[list]:
    """One line per row: where its video is (the file in the ZIP, a presigned URL) or why there is none."""
    for job in batch_rows(batch).iterator(chunk_size=500):
        video = _finished_video(job)
        yield [job.batch_row, job.pk, job.status, spreadsheet_safe(job.title), video.pk if video else "",
               file_name(job) if video and in_zip else "",
               presigned_url(video.video_key, download_as=file_name(job)) if video else "", job.error_code]


def manifest_csv(batch: GenerationBatch, *, in_zip: bool = False) -> Iterator[str]:
    """The manifest as CSV text, a line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> str:
        writer.writerow(values)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(MANIFEST_COLUMNS)
    for values in manifest_rows(batch, in_zip=in_zip):
        yield line(values)


def zip_stream(batch: GenerationBatch) -> Iterator[bytes]:
    """The ZIP of every finished video of the batch plus ``manifest.csv``, as a stream of bytes."""
    archive = ZipStream(compress_type=ZIP_STORED)
    for job in batch_rows(batch).iterator(chunk_size=500):
        video = _finished_video(job)
        if video is not None:
            archive.add(read_chunks(video.video_key), file_name(job))  # read only when the ZIP reaches it
    archive.add("".join(manifest_csv(batch, in_zip=True)), "manifest.csv", compress_type=ZIP_DEFLATED)
    yield from archive
