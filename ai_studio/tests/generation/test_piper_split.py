"""The Piper voice cut at its decoder (``piper_split``): a long sentence is decoded in windows of
bounded length, and what comes out is exactly what the whole model makes.

Runs are on the real ONNX Runtime sessions; with the noise scales at 0 a model run depends only
on its inputs, so the whole model and its two halves can be compared sample for sample. The
decoder's convolutions are made 2-D (``convolutions_as_2d``), which changes the audio by float
rounding only.
"""

from __future__ import annotations

import dataclasses
from itertools import pairwise
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from ai_studio.generation.speech import piper_engine, piper_split
from ai_studio.generation.speech.local import DEFAULT_VOICE, LocalSpeechProvider
from ai_studio.generation.speech.piper_split import (
    DECODER_CONTEXT_FRAMES,
    DECODER_WINDOW_FRAMES,
    WindowedSession,
    convolutions_as_2d,
    split_model,
)
from ai_studio.generation.speech.text import script_words

# ~6.5 s in one sentence: three decoder windows.
LONG_SENTENCE = (
    "ReelMate writes the captions, gives your avatar a natural voice, and renders a polished vertical video in seconds."
)


class FrameCountingSession:
    """A real session, noting the length (last axis) of the first input of each run."""

    def __init__(self, session) -> None:
        self.session = session
        self.frames: list[int] = []

    def run(self, output_names, input_feed, run_options=None):
        self.frames.append(next(iter(input_feed.values())).shape[-1])
        return self.session.run(output_names, input_feed, run_options)

    def __getattr__(self, name):
        return getattr(self.session, name)


def feed_for(voice, text: str) -> dict[str, np.ndarray]:
    """The model inputs for ``text``'s first sentence, without noise (a run depends on its inputs only)."""
    ids = voice.phonemes_to_ids(voice.phonemize(text)[0])
    return {
        "input": np.array([ids], dtype=np.int64),
        "input_lengths": np.array([len(ids)], dtype=np.int64),
        "scales": np.array([0.0, voice.config.length_scale, 0.0], dtype=np.float32),
    }


@pytest.fixture(scope="module")
def voice():
    return piper_engine.load_piper_voice(DEFAULT_VOICE)


def test_the_two_halves_give_what_the_whole_model_gives(voice):
    original, _ = piper_engine.PIPER_MODELS[DEFAULT_VOICE]()
    whole = piper_engine._new_session(piper_engine._aligned_in_memory(Path(original)))
    feed = feed_for(voice, LONG_SENTENCE)
    expected, got = whole.run(None, feed), voice.session.run(None, feed)
    assert [output.name for output in voice.session.get_outputs()] == [output.name for output in whole.get_outputs()]
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected, strict=True):
        assert mine.shape == theirs.shape and mine.dtype == theirs.dtype
    (audio, *alignments), (expected_audio, *expected_alignments) = got, expected
    assert all(np.array_equal(mine, theirs) for mine, theirs in zip(alignments, expected_alignments, strict=True))
    # The 2-D decoder's audio: the 1-D one's up to float rounding, far below a 16-bit sample's step.
    error = audio.astype(np.float64) - expected_audio
    assert np.max(np.abs(error)) < 1e-5
    assert 10 * np.log10(np.sum(expected_audio.astype(np.float64) ** 2) / np.sum(error**2)) > 100


def test_the_voice_decoder_runs_2d_convolutions(voice):
    original, _ = piper_engine.PIPER_MODELS[DEFAULT_VOICE]()
    decoder = onnx.load(str(piper_engine.aligned_model_path(Path(original)).decoder))
    weights = {initializer.name: initializer for initializer in decoder.graph.initializer}
    convolutions = [node for node in decoder.graph.node if node.op_type in ("Conv", "ConvTranspose")]
    assert len(convolutions) > 20
    assert all(len(weights[node.input[1]].dims) == 4 for node in convolutions)


def test_the_voice_weights_are_mapped_from_files_of_their_own_not_copied(voice):
    # Pages mapped from a file are the page cache's, shared by the machine's workers.
    original, _ = piper_engine.PIPER_MODELS[DEFAULT_VOICE]()
    aligned = piper_engine.aligned_model_path(Path(original))
    mapped = {line.split(maxsplit=5)[-1] for line in Path("/proc/self/maps").read_text().splitlines()}
    for half in (aligned.model, aligned.decoder):
        weights = Path(piper_split.weights_path(half))
        assert weights.stat().st_size > 10 * half.stat().st_size  # the model file holds its graph only
        assert str(weights) in mapped


def test_convolutions_made_2d_compute_what_the_1d_ones_did():
    rng = np.random.default_rng(7)

    def weight(name, *shape):
        return onnx.numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)

    graph = helper.make_graph(
        [
            helper.make_node(
                "Conv",
                ["input", "w1", "b1"],
                ["a"],
                name="/dec/conv",
                kernel_shape=[5],
                dilations=[3],
                pads=[6, 5],
                strides=[2],
            ),
            helper.make_node("LeakyRelu", ["a"], ["b"], name="/dec/LeakyRelu", alpha=0.1),
            helper.make_node(
                "ConvTranspose",
                ["b", "w2", "b2"],
                ["c"],
                name="/dec/up",
                kernel_shape=[16],
                strides=[8],
                pads=[4, 4],
                output_padding=[1],
            ),
            helper.make_node("Conv", ["c", "w3"], ["output"], name="/enc/conv", kernel_shape=[3], pads=[1, 1]),
        ],
        "convolutions",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 8, "time"])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 4, None])],
        [weight("w1", 16, 8, 5), weight("b1", 16), weight("w2", 16, 8, 16), weight("b2", 8), weight("w3", 4, 8, 3)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])
    model.ir_version = 8
    before = piper_engine._new_session(model.SerializeToString())
    assert convolutions_as_2d(model) == 2  # the two under /dec/, not /enc/conv
    onnx.checker.check_model(model)
    after = piper_engine._new_session(model.SerializeToString())
    dims = {initializer.name: len(initializer.dims) for initializer in model.graph.initializer}
    assert (dims["w1"], dims["w2"], dims["w3"]) == (4, 4, 3)
    for frames in (2, 37, 300):
        feed = {"input": rng.standard_normal((1, 8, frames)).astype(np.float32)}
        expected, got = before.run(None, feed)[0], after.run(None, feed)[0]
        assert got.shape == expected.shape
        assert np.max(np.abs(got - expected)) < 1e-5 * np.max(np.abs(expected))  # float rounding


def test_a_latent_decoded_in_windows_is_the_latent_decoded_whole(voice):
    latent, _ = voice.session.encoder.run(None, feed_for(voice, LONG_SENTENCE))
    assert latent.shape[-1] > 2 * DECODER_WINDOW_FRAMES
    whole = WindowedSession(voice.session.encoder, voice.session.decoder, window=latent.shape[-1]).decode(latent)
    assert np.array_equal(voice.session.decode(latent), whole)
    # Much shorter windows (under ~90 frames with their context) take other convolution kernels
    # in ONNX Runtime: the same audio up to float rounding, far below a 16-bit sample's step.
    short = WindowedSession(voice.session.encoder, voice.session.decoder, window=40).decode(latent)
    assert np.allclose(short, whole, rtol=0, atol=1e-5)


def test_a_long_sentence_is_decoded_in_bounded_windows_and_timed_as_before(tmp_path, monkeypatch, voice):
    decoder = FrameCountingSession(voice.session.decoder)
    windowed = WindowedSession(voice.session.encoder, decoder)
    monkeypatch.setitem(piper_engine._piper_voices, DEFAULT_VOICE, dataclasses.replace(voice, session=windowed))
    result = LocalSpeechProvider().synthesize(LONG_SENTENCE, DEFAULT_VOICE, tmp_path)
    decoded = decoder.frames[:-1]  # the last run is the arena shrinkage after the script
    assert len(decoded) >= 2
    assert max(decoded) <= DECODER_WINDOW_FRAMES + 2 * DECODER_CONTEXT_FRAMES
    assert result.timing_source == "alignment"
    assert [word.text for word in result.words] == script_words(LONG_SENTENCE)
    # The phonemes tile the audio in order, but for the sentence's start and end marks' silences.
    assert 0.0 <= result.phonemes[0].start < 0.2
    assert all(earlier.end == later.start for earlier, later in pairwise(result.phonemes))
    assert 0.0 <= result.duration - result.phonemes[-1].end < 0.2


def test_a_model_without_a_decoder_to_cut_is_kept_whole():
    graph = helper.make_graph(
        [helper.make_node("Relu", ["input"], ["output"], name="/relu")],
        "plain",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 4])],
    )
    assert split_model(helper.make_model(graph)) is None


def test_a_decoder_conditioned_on_more_than_the_latent_is_kept_whole():
    # A multi-speaker voice's decoder also takes the speaker's embedding.
    graph = helper.make_graph(
        [helper.make_node("Add", ["latent", "speaker"], ["output"], name="/dec/Add")],
        "speakers",
        [
            helper.make_tensor_value_info("latent", TensorProto.FLOAT, [1, 4]),
            helper.make_tensor_value_info("speaker", TensorProto.FLOAT, [1, 4]),
        ],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 4])],
    )
    model = helper.make_model(graph)
    onnx.checker.check_model(model)
    assert split_model(model) is None
