"""The API's JSON renderer (reelmate.api.renderers) writes exactly what DRF's JSONRenderer writes."""
from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import uuid
import zoneinfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers

from ai_studio.models import JobStatus
from ai_studio.tests.catalog.factories import GeneratedVideoFactory, GenerationJobFactory
from reelmate.api.renderers import JSONRenderer

drf = renderers.JSONRenderer()
ours = JSONRenderer()


@dataclasses.dataclass
class Point:
    x: int


class Pair:
    """Neither a list nor a dict: DRF's encoder makes a list of what it iterates."""

    def __iter__(self):
        return iter((1, 2))


VALUES = {
    "nested": {"a": [1, 2.5, None, True, False, "é ✓ 日本"], "b": {"c": (1, 2)}},
    "utc datetime": datetime.datetime(2026, 12, 3, 13, 5, 7, 123456, tzinfo=datetime.UTC),
    "utc datetime without microseconds": datetime.datetime(2026, 12, 3, 13, 5, 7, tzinfo=datetime.UTC),
    "other zone": datetime.datetime(2026, 6, 1, 9, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
    "naive datetime": datetime.datetime(2026, 1, 2, 3, 4, 5, 6),
    "date": datetime.date(2026, 2, 28),
    "time": datetime.time(12, 30, 15, 250000),
    "timedelta": datetime.timedelta(seconds=90.5),
    "decimal": decimal.Decimal("1.10"),
    "uuid": uuid.UUID("7ad67a64-70be-4c45-b787-de341a9d02dd"),
    "lazy text": gettext_lazy("This field is required."),
    "line separators": "one\u2028two\u2029three",
    "control characters and quotes": 'tab\t "quoted" back\\slash \x00 \x1f',
    "non-string keys": {1: "int", 2.5: "float", None: "none"},
    "boolean key": {True: "bool"},
    "dataclass": Point(3),
    "iterable": Pair(),
    "bytes": b"raw",
    "integer over 64 bits": 2**70,
    "floats": [0.1, 21.5, 0.0001, 123456789.125, 1e15, -0.0],
}


@pytest.mark.parametrize("name", list(VALUES))
def test_the_same_bytes_as_drfs_renderer(name):
    data = {"value": VALUES[name]}
    try:
        expected = drf.render(data)
    except TypeError:  # e.g. a dataclass: neither renders it
        with pytest.raises(TypeError):
            ours.render(data)
        return
    assert ours.render(data) == expected


def test_a_small_float_in_exponent_notation_is_the_same_number_written_shorter():
    # The one textual difference: Python writes 1e-07, orjson 1e-7.
    data = {"value": [1e-7, 1e16, 2.5e-300]}
    assert ours.render(data) == b'{"value":[1e-7,1e+16,2.5e-300]}'
    assert json.loads(ours.render(data)) == json.loads(drf.render(data))


def test_what_neither_can_encode_is_the_same_error():
    with pytest.raises(TypeError):
        drf.render({"value": object()})
    with pytest.raises(TypeError):
        ours.render({"value": object()})


def test_an_indented_response_is_drfs():
    data = {"a": [1, {"b": "c"}]}
    assert ours.render(data, "application/json; indent=4") == drf.render(data, "application/json; indent=4")


def test_nothing_renders_as_no_bytes():
    assert ours.render(None) == b""


@pytest.mark.parametrize("path", ["/api/ai-studio/generation-jobs", "/api/ai-studio/generated-videos"])
def test_a_page_of_the_api_is_the_text_drf_wrote(auth_client, user, path):
    for n in range(3):
        job = GenerationJobFactory(owner=user, title=f"Réel {n} \u2028", status=JobStatus.COMPLETED,
                                   completed_at=datetime.datetime.now(datetime.UTC))
        GeneratedVideoFactory(owner=user, job=job, title=job.title)
    response = auth_client.get(path)
    assert response.status_code == 200
    assert len(response.data["results"]) == 3
    assert response.content == drf.render(response.data)
