"""End to end on real components: the API, a Celery worker process on Redis, PostgreSQL, the local
S3 server and (for OpenAI voices) the real openai SDK against a loopback OpenAI-compatible server.

Every test here renders real video, so they are marked slow; together they take well under a minute.
"""
from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ai_studio.generation.captions import parse_srt, parse_vtt
from ai_studio.generation.ffmpeg import extract_frame, measure_loudness, probe
from ai_studio.models import GeneratedVideo, JobStatus, VideoGenerationJob
from ai_studio.services.execution import artifact_prefix
from ai_studio.tasks import run_generation_job
from ai_studio.tests.catalog.factories import VoiceFactory, stored_music_track
from ai_studio.tests.generation_api.observe import stored_keys, video_prefix, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SCRIPT = "Meet the new Rocket Shoes. Lighter than air, faster than ever. Tap the link and run further today!"
FAST_RETRIES = {"GENERATION_RETRY_BASE_SECONDS": "0.2", "GENERATION_MAX_ATTEMPTS": "2"}


def download(url: str, target: Path) -> Path:
    with urllib.request.urlopen(url, timeout=30) as response:
        target.write_bytes(response.read())
    return target


def assert_post_ready_loudness(video: Path) -> None:
    """What the platforms normalise to, measured on the finished MP4 by ffmpeg's BS.1770 meter."""
    loudness = measure_loudness(video)
    assert loudness.integrated == pytest.approx(-14.0, abs=1.0)
    assert loudness.true_peak <= -1.0


def frame_pixels(video: Path, at: float, tmp_path: Path) -> np.ndarray:
    image = extract_frame(video, at, tmp_path / f"frame-{at:.2f}.png")
    return np.asarray(Image.open(image).convert("RGB"), dtype=np.int16)


def test_a_reel_is_generated_stored_and_playable(generate, auth_client, celery_worker, s3_server, tmp_path):
    submitted = generate(script=SCRIPT, title="Rocket Shoes")
    assert submitted.status_code == 202
    job_id = submitted.json()["id"]

    polled = wait_for(auth_client, job_id)
    final = polled["last"]
    assert final["status"] == "completed", final["error"]
    progress = [body["progress"] for body in polled["seen"]]
    assert progress == sorted(progress), "progress never goes backwards"
    assert final["progress"] == 100
    assert final["lip_sync"] == "loudness"  # a plain portrait, no rig
    assert set(final["video"]["stage_timings"]) >= {"synthesizing_speech", "rendering_video", "uploading"}

    urls = final["video"]["urls"]
    video = download(urls["video"], tmp_path / "reel.mp4")
    audio = download(urls["audio"], tmp_path / "voice.wav")
    info, speech = probe(video), probe(audio)
    assert (info["video_codec"], info["audio_codec"], info["pix_fmt"]) == ("h264", "aac", "yuv420p")
    assert (info["width"], info["height"], round(info["fps"])) == (720, 1280, 30)
    assert abs(info["duration"] - speech["duration"]) <= 0.1
    assert final["video"]["duration_seconds"] == pytest.approx(info["duration"], abs=0.05)
    assert measure_loudness(audio).integrated < -17  # the voice as Piper made it is quiet...
    assert_post_ready_loudness(video)  # ...the reel is not

    thumbnail = Image.open(download(urls["thumbnail"], tmp_path / "thumb.jpg"))
    assert (thumbnail.format, thumbnail.size) == ("JPEG", (720, 1280))
    srt = parse_srt(download(urls["captions_srt"], tmp_path / "c.srt").read_text())
    vtt = parse_vtt(download(urls["captions_vtt"], tmp_path / "c.vtt").read_text())
    assert " ".join(entry.text for entry in vtt) == " ".join(entry.text for entry in srt)
    assert "Rocket" in " ".join(entry.text for entry in vtt)

    # The avatar talks: frames a fraction of a second apart differ while it speaks.
    frames = [frame_pixels(video, at, tmp_path) for at in (0.6, 0.9, 1.2, 1.5)]
    assert max(np.abs(a - b).mean() for a, b in zip(frames, frames[1:])) > 0.05

    prefix = video_prefix(VideoGenerationJob.objects.get(pk=job_id))
    assert stored_keys(s3_server, prefix) == {
        f"{prefix}/{name}" for name in ("reel.mp4", "thumbnail.jpg", "voice.wav", "captions.srt", "captions.vtt")}


@pytest.fixture
def openai_voice(db, openai_server):
    return VoiceFactory(provider="openai", provider_voice_id="nova", slug="nova")


def test_openai_voice_through_the_real_sdk(generate, auth_client, openai_voice, openai_server, worker_factory,
                                          tmp_path):
    worker_factory(env=FAST_RETRIES)
    job_id = generate(voice_id=openai_voice.pk, script=SCRIPT).json()["id"]
    final = wait_for(auth_client, job_id)["last"]
    assert final["status"] == "completed", final["error"]
    assert final["speech_provider"] == "openai"
    speech_requests = openai_server.requests_to("/audio/speech")
    assert speech_requests and speech_requests[0].json["voice"] == "nova"
    assert_post_ready_loudness(download(final["video"]["urls"]["video"], tmp_path / "reel.mp4"))


def test_a_reel_with_a_music_bed(generate, auth_client, celery_worker, tmp_path):
    """The track is downloaded by the worker, mixed under the voice, and the reel stays post-ready."""
    track = stored_music_track(seconds=5.0)
    final = wait_for(auth_client, generate(script=SCRIPT, music_id=track.pk).json()["id"])["last"]
    assert final["status"] == "completed", final["error"]
    assert final["music_id"] == track.pk
    assert "mixing_audio" in final["video"]["stage_timings"]
    video = download(final["video"]["urls"]["video"], tmp_path / "reel.mp4")
    voice = download(final["video"]["urls"]["audio"], tmp_path / "voice.wav")
    info = probe(video)
    assert (info["audio_codec"], info["channels"], info["sample_rate"]) == ("aac", 2, 48000)
    assert abs(info["video_duration"] - probe(voice)["duration"]) <= 1 / 30 + 0.01  # speech + no tail
    assert_post_ready_loudness(video)


def test_a_rigged_avatar_lip_syncs_an_openai_voice_on_a_real_worker(
    generate, auth_client, rigged_avatar, openai_voice, openai_server, worker_factory, tmp_path
):
    """OpenAI returns no phoneme timings: the worker derives them from the words, and the rig's
    mouth shapes (not the loudness mouth) move the face."""
    worker_factory(env=FAST_RETRIES)
    job_id = generate(avatar_id=rigged_avatar.pk, voice_id=openai_voice.pk, script=SCRIPT).json()["id"]

    final = wait_for(auth_client, job_id)["last"]

    assert final["status"] == "completed", final["error"]
    assert final["lip_sync"] == "words"  # phonemes spread over the transcription's word timings
    video = download(final["video"]["urls"]["video"], tmp_path / "reel.mp4")
    assert probe(video)["video_codec"] == "h264"
    frames = [frame_pixels(video, at, tmp_path) for at in (0.5, 0.7, 0.9, 1.1, 1.3)]
    assert max(np.abs(a - b).mean() for a, b in zip(frames, frames[1:])) > 0.05


def test_a_rate_limit_is_retried_with_backoff_and_then_succeeds(generate, auth_client, openai_voice, openai_server,
                                                                 worker_factory):
    openai_server.fail_next(status=429, times=1, path="/audio/speech")
    worker_factory(env=FAST_RETRIES)
    job_id = generate(voice_id=openai_voice.pk, script=SCRIPT).json()["id"]
    final = wait_for(auth_client, job_id)["last"]
    assert final["status"] == "completed", final["error"]
    assert final["attempts"] == 2
    assert [r.status for r in openai_server.requests_to("/audio/speech")][:2] == [429, 200]


def test_a_persistent_provider_error_fails_the_job_clearly_and_retry_then_succeeds(
        generate, auth_client, openai_voice, openai_server, worker_factory):
    openai_server.fail_always(status=500, path="/audio/speech")
    worker_factory(env=FAST_RETRIES)
    job_id = generate(voice_id=openai_voice.pk, script=SCRIPT).json()["id"]
    failed = wait_for(auth_client, job_id)["last"]
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "speech_provider_unavailable"
    assert "2 attempts" in failed["error"]["message"]
    assert GeneratedVideo.objects.count() == 0

    openai_server.reset()
    assert auth_client.post(f"/api/ai-studio/generation-jobs/{job_id}/retry").status_code == 202
    final = wait_for(auth_client, job_id)["last"]
    assert final["status"] == "completed", final["error"]
    assert GeneratedVideo.objects.filter(job_id=job_id).count() == 1


def test_cancel_while_queued_means_the_worker_never_runs_it(generate, auth_client, worker_factory):
    job_id = generate().json()["id"]
    assert auth_client.post(f"/api/ai-studio/generation-jobs/{job_id}/cancel").json()["status"] == "canceled"
    worker_factory()
    time.sleep(2)  # the worker consumes the message and must leave the job alone
    job = VideoGenerationJob.objects.get(pk=job_id)
    assert (job.status, job.attempts) == (JobStatus.CANCELED, 0)


def test_cancel_while_processing_stops_at_the_next_stage(generate, auth_client, openai_voice, openai_server,
                                                         worker_factory, s3_server):
    openai_server.delay_next(3.0, path="/audio/speech")
    worker_factory()
    job_id = generate(voice_id=openai_voice.pk, script=SCRIPT).json()["id"]
    wait_for(auth_client, job_id, until=lambda body: body["stage"] == "synthesizing_speech")
    assert auth_client.post(f"/api/ai-studio/generation-jobs/{job_id}/cancel").status_code == 200
    final = wait_for(auth_client, job_id)["last"]
    assert final["status"] == "canceled"
    assert final["video"] is None
    assert stored_keys(s3_server, artifact_prefix(VideoGenerationJob.objects.get(pk=job_id))) == set()


def test_a_worker_killed_mid_render_is_replaced_and_the_job_completes_exactly_once(
        generate, auth_client, worker_factory, s3_server):
    # Short enough to keep the test quick, long enough that a loaded machine (a full run beside
    # other work) does not delay 4 heartbeats in a row: a 3 s lease lapsed once that way.
    crash_safe = {"GENERATION_LEASE_SECONDS": "6", "CELERY_VISIBILITY_TIMEOUT": "8",
                  "CELERY_UNACKED_RESTORE_INTERVAL": "1"}
    doomed = worker_factory(env=crash_safe)
    long_script = " ".join([SCRIPT] * 4)
    job_id = generate(script=long_script, resolution="1080p").json()["id"]
    wait_for(auth_client, job_id, until=lambda body: body["stage"] == "rendering_video", timeout=60)
    doomed.kill()  # SIGKILL: no chance to clean up or acknowledge

    worker_factory(env=crash_safe)
    final = wait_for(auth_client, job_id, timeout=180)["last"]
    assert final["status"] == "completed", final["error"]
    job = VideoGenerationJob.objects.get(pk=job_id)
    # Diagnostics for a rare failure seen once in a loaded full run and not reproduced since.
    assert job.attempts == 2, {"attempts": job.attempts, "timings": job.stage_timings, "status": final["status"]}
    assert GeneratedVideo.objects.filter(job=job).count() == 1
    prefix = video_prefix(job)
    assert stored_keys(s3_server, prefix) == {f"{prefix}/{name}" for name in
                                             ("reel.mp4", "thumbnail.jpg", "voice.wav", "captions.srt",
                                              "captions.vtt")}
    assert stored_keys(s3_server, f"users/{job.owner_id}") == stored_keys(s3_server, prefix)


def test_a_job_over_its_soft_time_limit_fails_with_time_limit_exceeded(generate, auth_client, worker_factory,
                                                                      s3_server, monkeypatch):
    # The render task takes its limits from these settings when a process imports it, and Celery
    # sends a task's declared limits along with each message: the publisher's values are the ones
    # the worker enforces. In production every process reads the same environment; here this
    # process publishes (through the API), so it gets the worker's values too.
    limits = {"soft_time_limit": 1, "time_limit": 60}
    worker_factory(env={"CELERY_TASK_SOFT_TIME_LIMIT": "1", "CELERY_TASK_TIME_LIMIT": "60"})
    for name, seconds in limits.items():
        monkeypatch.setattr(run_generation_job, name, seconds)
    monkeypatch.setattr(run_generation_job, "_exec_options", None)  # Celery's cache of the options it sends
    job_id = generate(script=" ".join([SCRIPT] * 4), resolution="1080p").json()["id"]

    final = wait_for(auth_client, job_id)["last"]

    assert final["status"] == "failed"
    assert final["error"]["code"] == "time_limit_exceeded"
    assert "longer than 1 s" in final["error"]["message"]
    job = VideoGenerationJob.objects.get(pk=job_id)
    assert job.attempts == 1 and final["video"] is None
    assert stored_keys(s3_server, artifact_prefix(job)) == set()
