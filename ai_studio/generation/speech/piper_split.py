"""A Piper voice model cut in two at its decoder, so that the decoder runs in windows of bounded length.

A Piper (VITS) voice turns a sentence's phoneme ids into a latent of ~86 frames per second of
speech (encoder, durations, flow: little working memory), then a HiFi-GAN decoder upsamples it
256 times to audio. The decoder's intermediate tensors (256 to 32 channels at 8 to 256 times the
latent's length) are what a model run's working memory is: ~21 MB per second of the sentence,
~140 MB for a 6.5 s one, kept by ONNX Runtime's arena at its high-water mark until the script ends.

The decoder is a stack of convolutions with nothing that looks at the whole sequence: an audio
sample depends on at most ~13.4 latent frames either side of its own (``DECODER_CONTEXT_FRAMES``
is more). So ``WindowedSession`` decodes a long latent in windows of at most
``DECODER_WINDOW_FRAMES``, each given that context either side and cropped back: the audio is
bit-identical to one whole run (tested; windows much shorter than this voice's take other
convolution kernels and differ by float rounding), and working memory no longer grows with the
sentence.
The encoder's noise is drawn once per sentence, before the cut, so takes vary as before.

``split_model`` cuts a model (patched with its alignment output) in two; it needs the ``onnx``
package and runs in the child process that patches the model (``python piper_split.py SOURCE
MODEL DECODER``, from ``piper_engine.aligned_model_path``). Only numpy is imported at module
level, so that this file runs as a script.
"""

from __future__ import annotations

import math
import sys

import numpy as np

# Latent frames decoded per run at most (~3 s of speech; windows are cut equal, so a 6.5 s sentence
# is decoded in three of ~185). A script's working memory peaked at ~60 MB with it (161 decoding
# whole sentences, 89 at 320), but shorter windows cost CPU: each repeats its context either side
# (the bench's script: +8% decoder work at 256, +12% at 192; measured +4% and +8% of its CPU).
DECODER_WINDOW_FRAMES = 256
# Latent frames of context either side of a window: more than the decoder's receptive field
# (at most ~13.4 frames for the medium voices: the dilated convolutions' reach over all stages).
DECODER_CONTEXT_FRAMES = 14
# How Piper's VITS export names the decoder's nodes (torch module paths).
DECODER_PREFIX = "/dec/"


class WindowedSession:
    """The two halves of a voice model, run as the whole model is (``run(None, feed)`` gives the
    audio and the model's other outputs, in the whole model's order and shapes), the decoder
    in windows. ONNX Runtime sessions run concurrently, so this does too."""

    def __init__(self, encoder, decoder, window: int = DECODER_WINDOW_FRAMES,
                 context: int = DECODER_CONTEXT_FRAMES) -> None:
        self.encoder = encoder
        self.decoder = decoder
        self.window = window
        self.context = context
        self._latent_name = decoder.get_inputs()[0].name

    def run(self, output_names, input_feed, run_options=None):
        if output_names is not None:
            raise ValueError("a windowed voice session gives all of its outputs (output_names=None)")
        latent, *others = self.encoder.run(None, input_feed, run_options)
        return [self.decode(latent, run_options), *others]

    def decode(self, latent: np.ndarray, run_options=None) -> np.ndarray:
        """The decoder's audio for ``latent`` (time last), in windows of equal length."""
        frames = latent.shape[-1]
        count = max(1, math.ceil(frames / self.window))
        edges = [round(index * frames / count) for index in range(count + 1)]
        parts: list[np.ndarray] = []
        for start, end in zip(edges, edges[1:], strict=False):
            first, last = max(0, start - self.context), min(frames, end + self.context)
            feed = {self._latent_name: np.ascontiguousarray(latent[..., first:last])}
            audio = self.decoder.run(None, feed, run_options)[0]
            hop = audio.shape[-1] // (last - first)  # audio samples per latent frame
            parts.append(audio[..., (start - first) * hop:(end - first) * hop])
        return parts[0] if count == 1 else np.concatenate(parts, axis=-1)

    def get_inputs(self):
        return self.encoder.get_inputs()

    def get_outputs(self):
        return [self.decoder.get_outputs()[0], *self.encoder.get_outputs()[1:]]

    def get_session_options(self):
        return self.encoder.get_session_options()  # both halves are made with the same options

    def get_providers(self):
        return self.encoder.get_providers()


def split_model(model):
    """``model`` (an ``onnx.ModelProto``) as (encoder, decoder), or None when it cannot be cut:
    a decoder with no nodes under DECODER_PREFIX, conditioned on more than the latent (a
    multi-speaker voice's speaker embedding), or not giving the model's first output."""
    from onnx.utils import Extractor

    graph = model.graph
    decoder_nodes = [node for node in graph.node if node.name.startswith(DECODER_PREFIX)]
    if not decoder_nodes:
        return None
    made = {output for node in decoder_nodes for output in node.output}
    weights = {initializer.name for initializer in graph.initializer}
    latent = {name for node in decoder_nodes for name in node.input if name and name not in made | weights}
    if len(latent) != 1:
        return None
    outputs = [output.name for output in graph.output]
    # The nodes after the decoder up to the audio output (an Unsqueeze) go with the decoder.
    extractor = Extractor(model)
    decoder = extractor.extract_model(list(latent), outputs[:1])
    if any(not node.name.startswith(DECODER_PREFIX) and node.op_type not in ("Unsqueeze", "Constant")
           for node in decoder.graph.node):
        return None  # the audio output depends on more than the decoder
    encoder = extractor.extract_model([value.name for value in graph.input], [*latent, *outputs[1:]])
    return encoder, decoder


def _patch_and_split(source: str, model_target: str, decoder_target: str) -> None:
    """Write the model patched with its alignment output to ``model_target``: its encoder half,
    with the decoder half at ``decoder_target``, or the whole model when it cannot be cut."""
    import onnx
    from piper.patch_voice_with_alignment import add_alignment_output

    model = onnx.load(source)
    add_alignment_output(model)
    halves = split_model(model)
    if halves is None:
        onnx.save(model, model_target)
        return
    encoder, decoder = halves
    onnx.save(decoder, decoder_target)
    onnx.save(encoder, model_target)


if __name__ == "__main__":
    _patch_and_split(*sys.argv[1:4])
