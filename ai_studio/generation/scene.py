"""A frame as ffmpeg builds it: a still background and layers, some of them animated.

Every picture is decoded once and repeated with the ``loop`` filter. A layer shows a window
(a ``crop``) of its picture, and animation is the window moving: over a sprite sheet to change
the mouth shape or the eyelids, over an oversized portrait to move the head. ``sendcmd`` moves
each window exactly on the frames where its position changes.

What ffmpeg costs per frame is kept small. Small layers are overlaid. A large opaque layer is
not: ``overlay`` converts its whole input to yuv420p-with-alpha and blends it, and copies the
picture below, on every frame (~1.5 ms at 1080p); instead the picture below is cut into the
bands around the layer and everything is put back together with one ``xstack``, which only
copies. Transparent patches that stay put on a moving window (the card's rounded corners) are
overlaid on small cut-out pieces of that window, never on a whole frame.

The same description renders any single frame with Pillow (:func:`compose_frame`): the
thumbnail, and the reference the tests compare decoded frames with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from PIL import Image

# Changes for frame n are scheduled half a frame early, at (n - 0.5) / fps, so that timestamp
# rounding can never move one onto the neighbouring frame.
SWITCH_OFFSET = 0.5

# An opaque layer covering at least this share of the picture below it is stacked, not overlaid.
STACK_MIN_SHARE = 0.1


@dataclass
class Layer:
    """``image`` with its own ``layers`` laid on first, seen through a ``size`` window whose
    top-left corner is at ``windows[frame]`` in the image, with ``fixed`` layers laid on that
    window (they do not move with it), placed at ``position`` in its parent."""

    name: str  # unique in the scene: the file name stem and the crop filter's instance name
    # ``transparent``: blended with its alpha (RGBA). ``overlay`` wants yuva420p on top, so a
    # small opaque layer is also better marked transparent: converted once, not on every frame.
    image: Image.Image
    position: tuple[int, int]
    size: tuple[int, int] | None = None  # None: the whole image, never moving
    windows: list[tuple[int, int]] = field(default_factory=list)  # per frame; empty: (0, 0)
    layers: list[Layer] = field(default_factory=list)
    fixed: list[Layer] = field(default_factory=list)  # transparent, positioned in the window
    transparent: bool = False

    @property
    def file_name(self) -> str:
        # BMP is read back once a moment later: not worth compressing. PNG keeps the alpha.
        return f"{self.name}.png" if self.transparent else f"{self.name}.bmp"

    @property
    def command_file_name(self) -> str:
        """The ``sendcmd`` script moving this layer's window (see :meth:`crop_commands`)."""
        return f"{self.name}.cmd"

    @property
    def output_size(self) -> tuple[int, int]:
        return self.size or self.image.size

    def window_at(self, frame: int) -> tuple[int, int]:
        if not self.windows:
            return 0, 0
        return self.windows[min(frame, len(self.windows) - 1)]

    def moves(self) -> bool:
        return len(set(self.windows)) > 1

    def crop_commands(self, fps: int) -> str:
        """``sendcmd`` script moving the window on each frame where it changes."""
        lines = []
        for frame in range(1, len(self.windows)):
            (x, y), (px, py) = self.windows[frame], self.windows[frame - 1]
            at = (frame - SWITCH_OFFSET) / fps
            if x != px:
                lines.append(f"{at:.4f} crop@{self.name} x {x};")
            if y != py:
                lines.append(f"{at:.4f} crop@{self.name} y {y};")
        return "\n".join(lines) + "\n"

    def all_layers(self) -> list[Layer]:
        nested = [inner for layer in (*self.layers, *self.fixed) for inner in layer.all_layers()]
        return [self, *nested]


@dataclass
class Scene:
    background: Layer  # the whole frame; its ``layers`` are everything on top
    frame_count: int
    thumbnail_frame: int = 0  # the frame that best shows the video (talking, eyes open)

    def layers(self) -> list[Layer]:
        return self.background.all_layers()


# --- Pillow -------------------------------------------------------------------------------


def compose_frame(scene: Scene, frame: int) -> Image.Image:
    """Frame ``frame`` as ffmpeg composes it (captions aside), as an RGB image."""
    return _compose(scene.background, frame).convert("RGB")


def _compose(layer: Layer, frame: int) -> Image.Image:
    image = layer.image.convert("RGBA")  # a copy: the layers are laid on it
    for inner in layer.layers:
        image.alpha_composite(_compose(inner, frame), inner.position)
    if layer.size is not None:
        x, y = layer.window_at(frame)
        image = image.crop((x, y, x + layer.size[0], y + layer.size[1]))
    for patch in layer.fixed:
        image.alpha_composite(_compose(patch, frame), patch.position)
    return image


# --- ffmpeg -------------------------------------------------------------------------------


def write_inputs(scene: Scene, folder: Path, fps: int) -> None:
    """Save each layer's picture, and the commands moving its window, where the graph expects them."""
    for layer in scene.layers():
        layer.image.save(folder / layer.file_name)
        if layer.moves():
            (folder / layer.command_file_name).write_text(layer.crop_commands(fps))


class Piece(NamedTuple):
    """A stream holding the (x, y, width, height) part of a layer's output."""

    label: str
    x: int
    y: int
    width: int
    height: int


def filter_graph(scene: Scene, fps: int, finish: str = "") -> tuple[list[str], str]:
    """The input files in order and the filter graph producing ``[video]``.

    ``finish`` is the filter applied to the composed frame last (e.g. "ass=..." for the captions).
    """
    graph = _GraphBuilder(fps)
    whole = graph.whole(scene.background)
    graph.chains.append(f"[{whole}]{finish or 'null'}[video]")
    return graph.files, ";\n".join(graph.chains) + "\n"


class _GraphBuilder:
    def __init__(self, fps: int):
        self.files: list[str] = []
        self.chains: list[str] = []
        self.repeat = f"loop=loop=-1:size=1:start=0,settb=1/{fps},setpts=N"

    def whole(self, layer: Layer) -> str:
        """A stream of ``layer``'s output in one piece."""
        pieces = self.pieces(layer)
        if len(pieces) == 1:
            return pieces[0].label
        return self.stack(pieces, f"{layer.name}_whole")

    def pieces(self, layer: Layer) -> list[Piece]:
        """Streams that tile ``layer``'s output (several when fixed patches sit on it)."""
        index = len(self.files)
        self.files.append(layer.file_name)
        label = layer.name
        # Convert before looping: the conversion then happens once, not once per frame.
        pixel_format = "yuva420p" if layer.transparent else "yuv420p"
        self.chains.append(f"[{index}:v]format={pixel_format},{self.repeat}[{label}]")
        for inner in layer.layers:
            label = self.lay(label, layer.image.size, inner)
        if layer.size is not None:
            width, height = layer.size
            x, y = layer.window_at(0)
            sendcmd = f"sendcmd=filename={layer.command_file_name}," if layer.moves() else ""
            window = f"{layer.name}_window"
            self.chains.append(f"[{label}]{sendcmd}crop@{layer.name}=w={width}:h={height}:x={x}:y={y}[{window}]")
            label = window
        return self.patched(label, layer.output_size, layer.fixed)

    def lay(self, below: str, below_size: tuple[int, int], layer: Layer) -> str:
        """``layer`` laid on the ``below`` stream: stacked in if large and opaque, else overlaid."""
        output = f"{below}_{layer.name}"
        width, height = layer.output_size
        x, y = layer.position
        around = [rect for rect in _around((x, y, width, height), below_size) if rect[2] > 0 and rect[3] > 0]
        small = width * height < STACK_MIN_SHARE * below_size[0] * below_size[1]
        # A layer covering everything below it is overlaid too: a picture cut into no pieces would
        # have to go to a sink, and an endless looped input into a sink never lets ffmpeg finish.
        if layer.transparent or small or not around:
            self.chains.append(f"[{below}][{self.whole(layer)}]overlay=x={x}:y={y}[{output}]")
            return output
        around = self.cut(below, below_size, around, f"{output}_around")
        inside = [Piece(p.label, p.x + x, p.y + y, p.width, p.height) for p in self.pieces(layer)]
        return self.stack(around + inside, output)

    def patched(self, label: str, size: tuple[int, int], patches: list[Layer]) -> list[Piece]:
        """The ``label`` stream with transparent ``patches`` overlaid, as pieces: the patches'
        areas cut out, each overlaid on its own small piece, and the rest in bands."""
        if not patches:
            return [Piece(label, 0, 0, *size)]
        rects = [(*patch.position, *patch.output_size) for patch in patches]
        pieces = self.cut(label, size, _tiles(size, rects), f"{label}_cut")
        by_rect = {(*patch.position, *patch.output_size): patch for patch in patches}
        result = []
        for piece in pieces:
            patch = by_rect.pop(piece[1:], None)
            if patch is None:
                result.append(piece)
                continue
            output = f"{piece.label}_{patch.name}"
            self.chains.append(f"[{piece.label}][{self.whole(patch)}]overlay=x=0:y=0[{output}]")
            result.append(Piece(output, *piece[1:]))
        if by_rect:
            raise ValueError(f"fixed layers must not share rows partly: {[p.name for p in by_rect.values()]}")
        return result

    def cut(
        self, label: str, size: tuple[int, int], rects: list[tuple[int, int, int, int]], prefix: str
    ) -> list[Piece]:
        rects = [rect for rect in rects if rect[2] > 0 and rect[3] > 0]
        if rects == [(0, 0, *size)]:
            return [Piece(label, *rects[0])]
        names = [f"{prefix}{index}" for index in range(len(rects))]
        self.chains.append(f"[{label}]split={len(rects)}" + "".join(f"[{name}_all]" for name in names))
        for name, (x, y, width, height) in zip(names, rects):
            self.chains.append(f"[{name}_all]crop=w={width}:h={height}:x={x}:y={y}[{name}]")
        return [Piece(name, *rect) for name, rect in zip(names, rects)]

    def stack(self, pieces: list[Piece], output: str) -> str:
        if len(pieces) == 1:  # xstack needs two inputs; one piece is the whole picture already
            return pieces[0].label
        inputs = "".join(f"[{piece.label}]" for piece in pieces)
        layout = "|".join(f"{piece.x}_{piece.y}" for piece in pieces)
        self.chains.append(f"{inputs}xstack=inputs={len(pieces)}:layout={layout}[{output}]")
        return output


def _around(hole: tuple[int, int, int, int], size: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """The bands of a ``size`` picture around ``hole``: above, left of, right of and below it."""
    x, y, width, height = hole
    full_width, full_height = size
    return [
        (0, 0, full_width, y),
        (0, y, x, height),
        (x + width, y, full_width - x - width, height),
        (0, y + height, full_width, full_height - y - height),
    ]


def _tiles(size: tuple[int, int], rects: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Rectangles tiling a ``size`` picture, each of ``rects`` among them (``rects`` must not
    overlap): horizontal bands at the rects' edges, each band cut at the rects it crosses."""
    ys = sorted({0, size[1], *(y for _, y, _, _ in rects), *(y + h for _, y, _, h in rects)})
    tiles = []
    for top, bottom in zip(ys, ys[1:]):
        crossing = sorted((x, w) for x, y, w, h in rects if y <= top and bottom <= y + h)
        cursor = 0
        for x, width in crossing:
            if x > cursor:
                tiles.append((cursor, top, x - cursor, bottom - top))
            tiles.append((x, top, width, bottom - top))
            cursor = x + width
        if cursor < size[0]:
            tiles.append((cursor, top, size[0] - cursor, bottom - top))
    return tiles
