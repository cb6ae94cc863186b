"""Representations cached by row version (reelmate.api.serializers, ROW_VERSION of
reelmate.compiled_queries): the same bodies as rendering afresh, never one of a row as it was."""

import pytest
from django.db import connection

from ai_studio.models import GeneratedVideo, JobStatus, VideoGenerationJob
from ai_studio.selectors.generation import jobs_with_relations
from ai_studio.tests.generation_api.test_list_costs import completed_jobs
from reelmate.api import serializers as api_serializers
from reelmate.compiled_queries import ROW_VERSION, CompiledQuery, Param

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="row versions are PostgreSQL's")
STATUS, JOBS, VIDEOS = (
    "/api/ai-studio/generation-status/{}",
    "/api/ai-studio/generation-jobs",
    "/api/ai-studio/generated-videos",
)


@pytest.fixture(autouse=True)
def _no_cached_representations():
    api_serializers.forget_representations()
    yield
    api_serializers.forget_representations()


def uncached(client, path):
    """The body rendered afresh: a query string takes the ORM's path, whose instances have no version."""
    response = client.get(path, {"unused": "1"})
    assert response.status_code == 200
    body = response.json()
    return {key: value for key, value in body.items() if key not in ("next", "previous")}


def cached(client, path):
    response = client.get(path)
    assert response.status_code == 200
    body = response.json()
    return {key: value for key, value in body.items() if key not in ("next", "previous")}


@postgres_only
@pytest.mark.parametrize("path", [STATUS, JOBS, VIDEOS])
def test_a_cached_body_is_the_body_rendered_afresh(auth_client, user, avatar, voice, path):
    jobs = completed_jobs(user, avatar, voice, 3)
    VideoGenerationJob.objects.filter(pk=jobs[0].pk).update(
        metadata={"big": 2**70, "nested": [1, 2.5, None, {"a": "é"}]},
        end_card={"text": "Hi", "seconds": 2.0},
        scenes=[{"text": "One", "media_id": "2f1b1b4e-8a59-4c58-9a1e-6a4f3f9a0f11"}],
        error_code="x",
        error_message="y",
        callback_url="https://example.com/hook",
    )
    path = path.format(jobs[0].pk)
    first = cached(client=auth_client, path=path)  # rendered and kept
    assert api_serializers._representations  # the cache was used
    assert cached(auth_client, path) == first == uncached(auth_client, path)
    if path.startswith(STATUS.format("")):
        assert first["metadata"]["big"] == 2**70


@postgres_only
def test_the_status_url_follows_the_request(auth_client, user, avatar, voice, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "api.example.com"]
    job = completed_jobs(user, avatar, voice, 1)[0]
    path = STATUS.format(job.pk)
    first = auth_client.get(path).json()
    other_host = auth_client.get(path, HTTP_HOST="api.example.com", secure=True).json()
    assert first["status_url"].startswith("http://testserver/")
    assert other_host["status_url"] == first["status_url"].replace("http://testserver", "https://api.example.com")
    assert other_host["video"] == first["video"]


def write_by_save(job):
    job.title = "Saved"
    job.save()


def write_by_update(job):
    VideoGenerationJob.objects.filter(pk=job.pk).update(title="Updated", metadata={"n": 1})


def write_by_raw_sql(job):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {VideoGenerationJob._meta.db_table} SET progress = 42 WHERE id = %s", [job.pk])


def write_the_video(job):
    video = GeneratedVideo.objects.get(job=job)
    video.title, video.duration_seconds = "New title", 12.25
    video.save()


def write_the_video_by_raw_sql(job):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {GeneratedVideo._meta.db_table} SET width = 1234 WHERE job_id = %s", [job.pk])


def write_nothing_then_the_same_value(job):
    # The same values written again: a new row version all the same, so a new rendering (as fresh).
    VideoGenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.COMPLETED)


@postgres_only
@pytest.mark.parametrize(
    "write",
    [
        write_by_save,
        write_by_update,
        write_by_raw_sql,
        write_the_video,
        write_the_video_by_raw_sql,
        write_nothing_then_the_same_value,
    ],
)
@pytest.mark.parametrize("path", [STATUS, JOBS, VIDEOS])
def test_a_written_row_is_rendered_again(auth_client, user, avatar, voice, write, path):
    job = completed_jobs(user, avatar, voice, 2)[0]
    path = path.format(job.pk)
    before = cached(auth_client, path)
    assert cached(auth_client, path) == before
    write(job)
    after = cached(auth_client, path)
    assert after == uncached(auth_client, path)
    if write is not write_nothing_then_the_same_value and not (
        path == VIDEOS and write in (write_by_save, write_by_update, write_by_raw_sql)
    ):
        assert after != before


@postgres_only
def test_a_deleted_video_or_job_is_gone_from_the_answers(auth_client, user, avatar, voice):
    jobs = completed_jobs(user, avatar, voice, 2)
    for path in (STATUS.format(jobs[0].pk), JOBS, VIDEOS):
        cached(auth_client, path)
    GeneratedVideo.objects.filter(job=jobs[0]).delete()
    assert cached(auth_client, STATUS.format(jobs[0].pk))["video"] is None
    assert [row["id"] for row in cached(auth_client, VIDEOS)["results"]] == [
        str(GeneratedVideo.objects.get(job=jobs[1]).pk)
    ]
    VideoGenerationJob.objects.filter(pk=jobs[0].pk).delete()
    assert auth_client.get(STATUS.format(jobs[0].pk)).status_code == 404
    assert [row["id"] for row in cached(auth_client, JOBS)["results"]] == [str(jobs[1].pk)]


@postgres_only
@pytest.mark.parametrize(
    "path",
    [
        "/api/ai-studio/generation-status/{job}",
        "/api/ai-studio/generation-jobs/{job}",
        "/api/ai-studio/generated-videos/{video}",
    ],
)
def test_a_cached_row_is_still_only_its_owners(auth_client, other_client, user, other_user, avatar, voice, path):
    job = completed_jobs(user, avatar, voice, 1)[0]
    url = path.format(job=job.pk, video=GeneratedVideo.objects.get(job=job).pk)
    assert auth_client.get(url).status_code == 200
    assert auth_client.get(url).status_code == 200  # cached now
    assert other_client.get(url).status_code == 404
    assert other_client.get(url.split("/api/ai-studio/")[0] + JOBS).json()["results"] == []
    assert other_client.get(VIDEOS).json()["results"] == []


@postgres_only
def test_an_action_that_changes_a_job_shows_it_as_changed(auth_client, user, avatar, voice):
    job = completed_jobs(user, avatar, voice, 1)[0]
    VideoGenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error_code="x", error_message="y")
    assert cached(auth_client, f"{JOBS}/{job.pk}")["status"] == JobStatus.FAILED
    retried = auth_client.post(f"{JOBS}/{job.pk}/retry")
    assert retried.status_code == 202, retried.content
    assert retried.json()["status"] == JobStatus.QUEUED
    assert cached(auth_client, f"{JOBS}/{job.pk}")["status"] == uncached(auth_client, f"{JOBS}/{job.pk}")["status"]


def test_rows_carry_their_version_only_on_postgresql_and_only_when_asked(user, avatar, voice):
    completed_jobs(user, avatar, voice, 1)
    owner = Param("owner", VideoGenerationJob._meta.get_field("owner").target_field)
    query = CompiledQuery(lambda: jobs_with_relations().filter(owner_id=owner))
    (plain,) = query.rows(owner=user.pk)
    (versioned,) = query.rows(owner=user.pk, versions=True)
    assert ROW_VERSION not in plain.__dict__ and ROW_VERSION not in plain.video.__dict__
    if connection.vendor == "postgresql":
        assert versioned.__dict__[ROW_VERSION][:2] == ("default", versioned.pk)
        assert versioned.video.__dict__[ROW_VERSION][:2] == ("default", versioned.video.pk)
    else:
        assert ROW_VERSION not in versioned.__dict__ and ROW_VERSION not in versioned.video.__dict__


def test_without_row_versions_nothing_is_cached(auth_client, user, avatar, voice, monkeypatch):
    """A database without xmin/ctid (SQLite; here PostgreSQL's connection told it is another vendor
    while the query is compiled): the same bodies, rendered afresh every time."""
    monkeypatch.setattr(connection, "vendor", "sqlite")
    owner = Param("owner", VideoGenerationJob._meta.get_field("owner").target_field)
    job = completed_jobs(user, avatar, voice, 1)[0]
    query = CompiledQuery(lambda: jobs_with_relations().filter(owner_id=owner))
    (row,) = query.rows(owner=user.pk, versions=True)
    assert ROW_VERSION not in row.__dict__
    monkeypatch.undo()
    from ai_studio.serializers.generation import GenerationJobSerializer

    assert GenerationJobSerializer(row).data == GenerationJobSerializer(jobs_with_relations().get(pk=job.pk)).data
    assert not api_serializers._representations


def test_only_classes_whose_fields_show_their_own_columns_as_they_are_cached():
    """A field that reads the request, another row or a custom representation makes the class
    uncacheable (rendered afresh every time); the job's and the video's serializers are cacheable."""
    from rest_framework import serializers

    from ai_studio.serializers.generation import GeneratedVideoSerializer, GenerationJobSerializer
    from reelmate.api.serializers import FastReadModelSerializer

    class Shouting(serializers.CharField):
        def to_representation(self, value):
            return self.context["request"].method + value

    class WithRelation(FastReadModelSerializer):
        avatar_name = serializers.CharField(source="avatar.name")

        class Meta:
            model = VideoGenerationJob
            fields = ("id", "avatar_name")

    class WithCustomField(FastReadModelSerializer):
        title = Shouting()

        class Meta:
            model = VideoGenerationJob
            fields = ("id", "title")

    def fresh(cls):
        return cls()._make_fresh_methods()

    assert fresh(WithRelation) is api_serializers._UNCACHEABLE
    assert fresh(WithCustomField) is api_serializers._UNCACHEABLE
    assert dict(fresh(GenerationJobSerializer)).keys() == {"status_url", "video"}
    assert dict(fresh(GeneratedVideoSerializer)).keys() == {"urls"}
