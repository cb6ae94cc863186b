"""Watching generation jobs from a test like a client would, and what they left in the bucket."""
from __future__ import annotations

import posixpath
import time

from ai_studio.generation.artifacts import ARTIFACT_FILES
from ai_studio.models import VideoGenerationJob
from ai_studio.services.execution import artifact_prefix


def wait_for(client, job_id, statuses=("completed", "failed", "canceled"), timeout=120.0, until=None) -> dict:
    """Poll the status endpoint like a client would; returns every body seen, last one last."""
    deadline, seen = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        body = client.get(f"/api/ai-studio/generation-status/{job_id}").json()
        seen.append(body)
        if body["status"] in statuses or (until and until(body)):
            return {"last": body, "seen": seen}
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {seen[-1]['status']}/{seen[-1]['stage']} after {timeout}s")


def stored_keys(s3_server, prefix: str) -> set[str]:
    listing = s3_server.client().list_objects_v2(Bucket=s3_server.bucket, Prefix=prefix + "/")
    return {item["Key"] for item in listing.get("Contents", [])}


def video_prefix(job: VideoGenerationJob) -> str:
    """Where the completed run of `job` stored its files: a folder of its own in the job's folder."""
    prefix = posixpath.dirname(job.video.video_key)
    assert posixpath.dirname(prefix) == artifact_prefix(job)
    return prefix


def assert_only_the_videos_files_are_stored(s3_server, job: VideoGenerationJob) -> None:
    """The completed run's five files, and nothing else anywhere under the owner's folder: no
    file of a run that was killed, lost its lease or failed."""
    prefix = video_prefix(job)
    assert stored_keys(s3_server, f"users/{job.owner_id}") == {f"{prefix}/{item.filename}" for item in ARTIFACT_FILES}
