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

The decoder's 1-D convolutions are rewritten as 2-D ones over a height of 1 (``convolutions_as_2d``):
ONNX Runtime runs 2-D convolutions with its channel-blocked (NCHWc) kernels, which 1-D ones never
get. The bench script's decoder took 17% less CPU (2.36 -> 1.97 CPU-s, alternating in one
process); the audio differs from the 1-D decoder's by float rounding only (at most 1.6e-6 of full
scale, 122 dB below the signal; a 16-bit sample's step is 3.1e-5).

``split_model`` cuts a model (patched with its alignment output) in two; it needs the ``onnx``
package and runs in the child process that patches the model (``python piper_split.py SOURCE
MODEL DECODER MODEL_FINAL DECODER_FINAL``, from ``piper_engine.aligned_model_path``), which
keeps each half's weights in a file of its own that ONNX Runtime maps (``save_with_weights_apart``).
Only numpy is imported at module level, so that this file runs as a script.
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

    def __init__(
        self, encoder, decoder, window: int = DECODER_WINDOW_FRAMES, context: int = DECODER_CONTEXT_FRAMES
    ) -> None:
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
            parts.append(audio[..., (start - first) * hop : (end - first) * hop])
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
    if any(
        not node.name.startswith(DECODER_PREFIX) and node.op_type not in ("Unsqueeze", "Constant")
        for node in decoder.graph.node
    ):
        return None  # the audio output depends on more than the decoder
    encoder = extractor.extract_model([value.name for value in graph.input], [*latent, *outputs[1:]])
    return encoder, decoder


def convolutions_as_2d(model, prefix: str = DECODER_PREFIX) -> int:
    """Rewrite ``model``'s 1-D Conv and ConvTranspose nodes named under ``prefix`` (an
    ``onnx.ModelProto``, in place) as 2-D ones over a height of 1, between an Unsqueeze and a
    Squeeze of that axis: the same arithmetic, in ONNX Runtime's channel-blocked (NCHWc) kernels.
    Only nodes whose weight is an initializer of their own are rewritten; returns how many were."""
    from collections import Counter

    from onnx import helper, numpy_helper

    graph = model.graph
    weights = {initializer.name: initializer for initializer in graph.initializer}
    uses = Counter(name for node in graph.node for name in node.input)
    axis = f"{prefix}as_2d/axis"
    nodes, count = [], 0
    for node in graph.node:
        weight = weights.get(node.input[1]) if node.op_type in ("Conv", "ConvTranspose") else None
        attributes = {attribute.name: helper.get_attribute_value(attribute) for attribute in node.attribute}
        if (
            weight is None
            or len(weight.dims) != 3
            or uses[weight.name] != 1
            or not node.name.startswith(prefix)
            or "output_shape" in attributes
            or attributes.get("auto_pad", b"NOTSET") != b"NOTSET"
        ):
            nodes.append(node)
            continue
        kernel = numpy_helper.to_array(weight)
        weight.CopyFrom(numpy_helper.from_array(kernel[:, :, np.newaxis, :], weight.name))
        for name in ("kernel_shape", "strides", "dilations"):
            if name in attributes:
                attributes[name] = [1, *attributes[name]]
        if "output_padding" in attributes:
            attributes["output_padding"] = [0, *attributes["output_padding"]]
        if "pads" in attributes:  # [begin, end] -> [height begin, begin, height end, end]
            attributes["pads"] = [0, attributes["pads"][0], 0, attributes["pads"][1]]
        del node.attribute[:]
        node.attribute.extend(helper.make_attribute(name, value) for name, value in attributes.items())
        source, target = node.input[0], node.output[0]
        node.input[0], node.output[0] = f"{node.name}/as_2d/input", f"{node.name}/as_2d/output"
        nodes += [
            helper.make_node("Unsqueeze", [source, axis], [node.input[0]], name=f"{node.name}/as_2d/Unsqueeze"),
            node,
            helper.make_node("Squeeze", [node.output[0], axis], [target], name=f"{node.name}/as_2d/Squeeze"),
        ]
        count += 1
    if count:
        graph.initializer.append(numpy_helper.from_array(np.array([2], dtype=np.int64), axis))
        del graph.node[:]
        graph.node.extend(nodes)  # each convolution's output keeps its name and 1-D shape (the Squeeze's)
    return count


def weights_path(model_path) -> str:
    """Where the weights of the model file at ``model_path`` are kept: a file beside it."""
    return f"{model_path}.weights"


def save_with_weights_apart(model, target: str, final: str) -> None:
    """Save ``model`` at ``target`` with its weights in ``weights_path(target)``, the model naming
    them as ``weights_path(final)`` (the two files are renamed there together).

    ONNX Runtime maps weights kept in a file of their own instead of copying them into the
    worker's memory: the pages it only reads stay the page cache's, shared by every worker on the
    machine and reclaimable, rather than each worker's anonymous memory (~55 MB of this voice's
    ~63 MB stayed so, the rest being weights it lays out anew: NCHWc, prepacking)."""
    import os

    import onnx

    onnx.save(
        model,
        target,
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=os.path.basename(weights_path(target)),
        size_threshold=1024,
    )
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(weights_path(target), 0o666 & ~umask)  # as the model file: onnx makes it private
    for initializer in model.graph.initializer:
        for entry in initializer.external_data:
            if entry.key == "location":
                entry.value = os.path.basename(weights_path(final))
    with open(target, "wb") as file:
        file.write(model.SerializeToString())


def _patch_and_split(source: str, model_target: str, decoder_target: str, model_final: str, decoder_final: str) -> None:
    """Write the model patched with its alignment output and its decoder's convolutions made 2-D
    to ``model_target``: its encoder half, with the decoder half at ``decoder_target``, or the
    whole model when it cannot be cut; each with its weights beside it (``save_with_weights_apart``),
    named for the ``*_final`` paths the files are renamed to."""
    import onnx
    from piper.patch_voice_with_alignment import add_alignment_output

    model = onnx.load(source)
    add_alignment_output(model)
    convolutions_as_2d(model)
    halves = split_model(model)
    if halves is None:
        save_with_weights_apart(model, model_target, model_final)
        return
    encoder, decoder = halves
    save_with_weights_apart(decoder, decoder_target, decoder_final)
    save_with_weights_apart(encoder, model_target, model_final)


if __name__ == "__main__":
    _patch_and_split(*sys.argv[1:6])
