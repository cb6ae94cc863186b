"""The job and video reads whose SQL is compiled once (reelmate.compiled_queries, `compiled_reads` of
reelmate.api.viewsets): the same instances and the same answers as the ORM's path, still owner-scoped."""
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ai_studio.models import GeneratedVideo, JobStatus, VideoGenerationJob
from ai_studio.selectors.generation import jobs_with_relations
from ai_studio.tests.catalog.factories import GenerationJobFactory
from ai_studio.tests.generation_api.test_list_costs import completed_jobs
from reelmate.compiled_queries import CompiledQuery, Param

pytestmark = pytest.mark.django_db

OWNER = Param("owner", VideoGenerationJob._meta.get_field("owner").target_field)


def fields_of(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_a_compiled_query_builds_the_instances_the_queryset_builds(user, other_user, avatar, voice):
    jobs = completed_jobs(user, avatar, voice, 3)
    GenerationJobFactory(owner=user, avatar=avatar, voice=voice, status=JobStatus.QUEUED)  # no video
    completed_jobs(other_user, avatar, voice, 1)
    query = CompiledQuery(lambda: jobs_with_relations().filter(owner_id=OWNER).order_by("-created_at", "-id"))
    expected = list(jobs_with_relations().filter(owner=user).order_by("-created_at", "-id"))

    rows = query.rows(owner=user.pk)

    assert [fields_of(job) for job in rows] == [fields_of(job) for job in expected]
    for job, orm_job in zip(rows, expected, strict=True):
        # select_related's video, joined both ways, or known to be missing (no query either way).
        with CaptureQueriesContext(connection) as captured:
            video = getattr(job, "video", None)
        assert not captured.captured_queries
        assert (fields_of(video) if video else None) == (fields_of(orm_job.video) if hasattr(orm_job, "video")
                                                          else None)
        assert video is None or video.job is job
        assert job._state.db == "default" and not job._state.adding
    assert [job.pk for job in query.rows(owner=user.pk, limit=2, offset=1)] == [job.pk for job in expected[1:3]]
    assert query.rows(owner=user.pk, limit=2, offset=4) == []
    assert {job.pk for job in rows} >= {job.pk for job in jobs}


def test_a_compiled_query_binds_new_values_and_counts_no_further_than_asked(user, other_user, avatar, voice):
    completed_jobs(user, avatar, voice, 3)
    completed_jobs(other_user, avatar, voice, 1)
    query = CompiledQuery(lambda: VideoGenerationJob.objects.filter(owner_id=OWNER))
    assert len(query.rows(owner=user.pk)) == 3
    assert len(query.rows(owner=other_user.pk)) == 1
    assert (query.count(owner=user.pk, at_most=10), query.count(owner=user.pk, at_most=2)) == (3, 2)
    with CaptureQueriesContext(connection) as captured:
        query.count(owner=user.pk, at_most=1001)
    assert "LIMIT 1001" in captured.captured_queries[0]["sql"]


def test_a_value_is_prepared_by_its_field(user, avatar, voice):
    job = completed_jobs(user, avatar, voice, 1)[0]
    query = CompiledQuery(lambda: VideoGenerationJob.objects.filter(pk=Param("pk", VideoGenerationJob._meta.pk)))
    assert [row.pk for row in query.rows(pk=str(job.pk))] == [job.pk]
    assert query.rows(pk=uuid.uuid4()) == []
    with pytest.raises(ValidationError):
        query.rows(pk="not-a-uuid")


@pytest.mark.parametrize("build", [
    lambda: VideoGenerationJob.objects.prefetch_related("video"),
    lambda: VideoGenerationJob.objects.values("pk"),
    lambda: VideoGenerationJob.objects.all()[:3],
])
def test_what_a_compiled_query_would_not_keep_is_refused(build):
    with pytest.raises(ValueError):
        CompiledQuery(build).rows()


# --- the API --------------------------------------------------------------------------------------
def without_links(body: dict) -> dict:
    return {key: value for key, value in body.items() if key not in ("next", "previous")}


@pytest.mark.parametrize("path", ["/api/ai-studio/generation-jobs", "/api/ai-studio/generated-videos"])
def test_a_default_page_answers_as_the_orms_path_does(auth_client, user, other_user, avatar, voice, path):
    completed_jobs(user, avatar, voice, 5)
    GenerationJobFactory(owner=user, avatar=avatar, voice=voice, status=JobStatus.FAILED,
                         error_code="render_failed", error_message="boom")
    completed_jobs(other_user, avatar, voice, 2)
    for page in (1, 2, 3):
        compiled = auth_client.get(path, {"page_size": 2, "page": page})
        # An ordering parameter takes the ORM's path (filter backends); this one orders as the default.
        orm = auth_client.get(path, {"page_size": 2, "page": page, "ordering": "-created_at"})
        assert compiled.status_code == orm.status_code == 200
        assert without_links(compiled.json()) == without_links(orm.json())
    assert auth_client.get(path, {"page_size": 2, "page": 4}).status_code == 404


@pytest.mark.parametrize("path", ["/api/ai-studio/generation-status/{job}", "/api/ai-studio/generation-jobs/{job}",
                                  "/api/ai-studio/generated-videos/{video}"])
def test_one_object_answers_as_the_orms_path_does_and_only_to_its_owner(auth_client, other_client, user, avatar,
                                                                        voice, path):
    job = completed_jobs(user, avatar, voice, 1)[0]
    url = path.format(job=job.pk, video=GeneratedVideo.objects.get(job=job).pk)
    compiled = auth_client.get(url)
    orm = auth_client.get(url, {"unused": "1"})  # a query string takes the ORM's path
    assert compiled.status_code == orm.status_code == 200
    assert compiled.json() == orm.json()
    for response in (other_client.get(url), auth_client.get(path.format(job=uuid.uuid4(), video=uuid.uuid4())),
                     auth_client.get(path.format(job="not-an-id", video="not-an-id"))):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("status", [JobStatus.COMPLETED, JobStatus.FAILED])
def test_jobs_and_videos_render_as_drfs_own_code_renders_them(user, avatar, voice, rf, status):
    """FastReadModelSerializer (fields read once per class, values of the right type passed through)
    against DRF's generic ModelSerializer.to_representation on the same instances."""
    from rest_framework import serializers
    from rest_framework.request import Request

    from ai_studio.serializers.generation import GeneratedVideoSerializer, GenerationJobSerializer

    job = completed_jobs(user, avatar, voice, 1)[0]
    VideoGenerationJob.objects.filter(pk=job.pk).update(
        status=status, caption_style={"font_size": 64}, metadata={"a": [1, 2.5, None]}, end_card={"text": "Hi"},
        total_seconds=21.5, progress=100)
    job = jobs_with_relations().get(pk=job.pk)
    context = {"request": Request(rf.get("/"))}
    for serializer, instance in ((GenerationJobSerializer(job, context=context), job),
                                 (GeneratedVideoSerializer(job.video, context=context), job.video)):
        assert serializer.data == serializers.ModelSerializer.to_representation(serializer, instance)


def test_a_model_with_init_receivers_is_built_by_its_own_from_db(user, avatar, voice):
    """Instances are made by setting their attributes directly only when Model.__init__ would do no
    more than that; a post_init receiver (as ImageField's) keeps Django's path, and is called."""
    from django.db.models.signals import post_init

    completed_jobs(user, avatar, voice, 1)
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    query = lambda: CompiledQuery(lambda: jobs_with_relations().filter(owner_id=OWNER))  # noqa: E731
    plain = query()
    plain.rows(owner=user.pk)
    post_init.connect(receiver, sender=VideoGenerationJob)
    try:
        rows = query().rows(owner=user.pk)
    finally:
        post_init.disconnect(receiver, sender=VideoGenerationJob)
    assert seen == rows and len(rows) == 1
    assert [fields_of(row) for row in rows] == [fields_of(row) for row in plain.rows(owner=user.pk)]


@pytest.mark.parametrize("value", [
    {"big": 2**70, "negative": -(2**65), "float": 2.5, "small": 1e-7, "nested": [None, True, {"é": "ü\n\"x\""}]},
    [], {}, "a string", 12345678901234567890123, [None], [[[]]], {"a": {"b": {"c": [1, 2, 3]}}},
])
def test_json_columns_read_as_the_orm_reads_them(user, avatar, voice, value):
    """The compiled reads decode JSON columns with the json module's scanner directly: the same values
    as JSONField.from_db_value, integers of any size exact (orjson would make floats of them)."""
    job = completed_jobs(user, avatar, voice, 1)[0]
    VideoGenerationJob.objects.filter(pk=job.pk).update(metadata=value, scenes=[value], stage_timings={"v": value})
    query = CompiledQuery(lambda: jobs_with_relations().filter(owner_id=OWNER))
    (row,) = query.rows(owner=user.pk)
    orm = jobs_with_relations().get(pk=job.pk)
    assert (row.metadata, row.scenes, row.stage_timings) == (orm.metadata, orm.scenes, orm.stage_timings)
    assert (row.metadata, row.scenes, row.stage_timings) == (value, [value], {"v": value})
    assert repr(row.metadata) == repr(orm.metadata)  # ints stay ints, floats floats
