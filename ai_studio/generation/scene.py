"""A frame as ffmpeg builds it: a still background and layers, some of them animated.

Every picture is decoded once and repeated with the ``loop`` filter. A layer shows a window
(a ``crop``) of its picture, and animation is the window moving: over a sprite sheet to change
the mouth shape or the eyelids, over an oversized portrait to move the head. ``sendcmd`` moves
each window exactly on the frames where its position changes.

What ffmpeg costs per frame is kept small. Opaque layers are not overlaid: ``overlay`` blends
its input pixel by pixel, and copies the picture below on every frame (a looped picture is
shared, so drawing on it takes a copy first: ~1.5 ms at 1080p). Instead the picture below is cut
into the bands around them and everything is put back together with one ``xstack``, which only
copies, once, however many non-overlapping opaque layers (a face's eyes and mouth) it takes.
Transparent layers are overlaid. Transparent patches that stay put on a moving window (the
card's rounded corners) are overlaid on small cut-out pieces of that window, never on a whole
frame.

A layer may also be cut to a shape (``mask``: the bubble's circle, applied per frame because
the picture under it moves), be seen only on some frames (``shown``: a headline for the opening
seconds; an ``overlay`` switched on and off by time, which copies nothing while off), show a
video file (``clip``) instead of a still, show other layers in turn (``segments``: the
scenes' media, cut together with ``concat``), or be drawn by a filter (``drawn_by``: libass
drawing the captions) only on the frames where its picture changes (``redrawn_on``): ``select``
keeps those frames alone, and ``overlay`` holds each until the next (drawing captions on every
frame cost ~1 ms of CPU per 1080p frame, as much as a fifth of the encode). A scene's
``overlays`` lie on the finished frame and never move, and its ``tail`` (the end card) follows
the last frame.

The same description renders any single frame with Pillow (:func:`compose_frame`): the
thumbnail, and the reference the tests compare decoded frames with (a clip is composed as its
first frame; what a filter draws is left out).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from PIL import Image, ImageChops

# Pictures are converted to YUV once (before they are repeated), so the most accurate conversion
# costs nothing per frame: rounded exactly, the chroma from every pixel.
CONVERT = "scale=flags=accurate_rnd+full_chroma_int+full_chroma_inp,"

# ffmpeg's name for each Pillow mode a picture is written in (raw, see Layer.file_name).
FFMPEG_PIXEL_FORMATS = {"RGB": "rgb24", "RGBA": "rgba"}

# Changes for frame n are scheduled half a frame early, at (n - 0.5) / fps, so that timestamp
# rounding can never move one onto the neighbouring frame.
SWITCH_OFFSET = 0.5


@dataclass
class Layer:
    """``image`` with its own ``layers`` laid on first, seen through a ``size`` window whose
    top-left corner is at ``windows[frame]`` in the image, with ``fixed`` layers laid on that
    window (they do not move with it), placed at ``position`` in its parent."""

    name: str  # unique in the scene: the file name stem and the crop filter's instance name
    # ``transparent``: blended with its alpha (RGBA), overlaid; an opaque layer is stacked in.
    image: Image.Image
    position: tuple[int, int]
    size: tuple[int, int] | None = None  # None: the whole image, never moving
    windows: list[tuple[int, int]] = field(default_factory=list)  # per frame; empty: (0, 0)
    layers: list[Layer] = field(default_factory=list)
    fixed: list[Layer] = field(default_factory=list)  # transparent, positioned in the window
    transparent: bool = False
    mask: Image.Image | None = None  # "L", of the output's size: the output's alpha
    shown: tuple[int, int] | None = None  # seen on frames first..end - 1 only; None: always
    clip: Path | None = None  # a video file shown instead of ``image`` (its first frame, as shown)
    # The picture is each segment's layer in turn (``image`` then only gives the size).
    segments: list[Segment] = field(default_factory=list)
    drawn_by: str = ""  # a filter drawing on the picture (Pillow cannot: it composes it blank)
    redrawn_on: list[int] = field(default_factory=list)  # the frames where that drawing may change

    @property
    def file_name(self) -> str:
        # Pictures go as raw RGB (RGBA when transparent), read back once a moment later: ffmpeg
        # has nothing to decode, so it neither decodes them again to probe them nor holds a
        # decoded copy beside the file's bytes (BMP and PNG: the same frames, ~15 MB more ffmpeg
        # at 1080p).
        return f"{self.name}.{self.raw_mode.lower()}"

    @property
    def raw_mode(self) -> str:
        return "RGBA" if self.transparent else "RGB"

    def input_options(self) -> tuple[str, ...]:
        """The options ffmpeg reads ``file_name`` with (a raw picture says its format and size)."""
        width, height = self.image.size
        pixel_format = FFMPEG_PIXEL_FORMATS[self.raw_mode]
        return ("-f", "rawvideo", "-pixel_format", pixel_format, "-video_size", f"{width}x{height}")

    @property
    def mask_file_name(self) -> str:
        return f"{self.name}_mask.png"

    @property
    def blended(self) -> bool:
        """Laid with its alpha (overlaid), never stacked in."""
        return self.transparent or self.mask is not None or self.shown is not None

    def visible(self, frame: int) -> bool:
        return self.shown is None or self.shown[0] <= frame < self.shown[1]

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
        return "\n".join(move_commands(self.windows, fps, f"crop@{self.name}")) + "\n"

    def all_layers(self) -> list[Layer]:
        children = (*(segment.layer for segment in self.segments), *self.layers, *self.fixed)
        return [self, *(inner for layer in children for inner in layer.all_layers())]

    def segment_at(self, frame: int) -> tuple[Segment, int]:
        """The segment showing on ``frame``, and the frame it starts on."""
        start = 0
        for segment in self.segments:
            if frame < start + segment.frames:
                break
            start += segment.frames
        else:
            start -= segment.frames  # past the end: the last one holds
        return segment, start


@dataclass
class Segment:
    """``layer`` shown for ``frames`` frames; its windows count from the segment's first frame."""

    layer: Layer
    frames: int


@dataclass
class Scene:
    background: Layer  # the whole frame; its ``layers`` are everything on top
    frame_count: int
    thumbnail_frame: int = 0  # the frame that best shows the video (talking, eyes open)
    overlays: list[Layer] = field(default_factory=list)  # transparent, on the finished frame, never moving
    tail: Layer | None = None  # a whole frame shown after ``frame_count`` frames (the end card)
    tail_frames: int = 0

    @property
    def total_frames(self) -> int:
        return self.frame_count + (self.tail_frames if self.tail is not None else 0)

    def layers(self) -> list[Layer]:
        tops = [*self.overlays, *([self.tail] if self.tail is not None else [])]
        return [*self.background.all_layers(), *(inner for top in tops for inner in top.all_layers())]


# --- Pillow -------------------------------------------------------------------------------


def compose_frame(scene: Scene, frame: int) -> Image.Image:
    """Frame ``frame`` as ffmpeg composes it (captions aside), as an RGB image."""
    if scene.tail is not None and frame >= scene.frame_count:
        return _compose(scene.tail, frame - scene.frame_count).convert("RGB")
    image = _compose(scene.background, frame)
    for overlay in scene.overlays:
        if overlay.visible(frame):
            image.alpha_composite(_compose(overlay, frame), overlay.position)
    return image.convert("RGB")


def _compose(layer: Layer, frame: int) -> Image.Image:
    if layer.segments:
        segment, start = layer.segment_at(frame)
        image = _compose(segment.layer, frame - start)
    elif layer.drawn_by:
        image = Image.new("RGBA", layer.image.size, (0, 0, 0, 0))
    else:
        image = layer.image.convert("RGBA")  # a copy: the layers are laid on it
    for inner in layer.layers:
        if inner.visible(frame):
            image.alpha_composite(_compose(inner, frame), inner.position)
    if layer.size is not None:
        x, y = layer.window_at(frame)
        image = image.crop((x, y, x + layer.size[0], y + layer.size[1]))
    for patch in layer.fixed:
        image.alpha_composite(_compose(patch, frame), patch.position)
    if layer.mask is not None:
        image.putalpha(ImageChops.multiply(image.getchannel("A"), layer.mask))
    return image


# --- ffmpeg -------------------------------------------------------------------------------


def write_inputs(scene: Scene, folder: Path, fps: int) -> None:
    """Save each layer's picture, and the commands moving its window, where the graph expects them."""
    for layer in scene.layers():
        if layer.clip is None and not layer.segments:
            mode = layer.raw_mode
            image = layer.image if layer.image.mode == mode else layer.image.convert(mode)
            (folder / layer.file_name).write_bytes(image.tobytes())
        # Read back once a moment later: the fastest PNG compression is enough (a quarter of
        # the time of the default at the same size, roughly).
        if layer.mask is not None:
            layer.mask.save(folder / layer.mask_file_name, compress_level=1)
        if layer.moves():
            (folder / layer.command_file_name).write_text(layer.crop_commands(fps))


class Input(NamedTuple):
    """An input file of the graph and the options ffmpeg reads it with."""

    name: str
    options: tuple[str, ...] = ()

    def arguments(self) -> list[str]:
        return [*self.options, "-i", self.name]


class Piece(NamedTuple):
    """A stream holding the (x, y, width, height) part of a layer's output."""

    label: str
    x: int
    y: int
    width: int
    height: int


def filter_graph(scene: Scene, fps: int) -> tuple[list[Input], str]:
    """The inputs in order and the filter graph producing ``[video]``: ``scene.total_frames``
    frames, or endless without a tail (the caller bounds it)."""
    graph = _GraphBuilder(fps)
    placed = _placed_overlays(scene)
    label = graph.whole(scene.background, placed)
    for overlay in [] if placed else scene.overlays:
        label = graph.overlay(label, overlay, overlay.position, f"{label}_{overlay.name}")
    if scene.tail is not None:
        main = graph.trimmed(label, scene.frame_count)
        tail = graph.trimmed(graph.whole(scene.tail), scene.tail_frames)
        graph.chains.append(f"[{main}][{tail}]concat=n=2:v=1:a=0[with_tail]")
        label = "with_tail"
    graph.chains.append(f"[{label}]null[video]")
    return graph.inputs, ";\n".join(graph.chains) + "\n"


class _GraphBuilder:
    def __init__(self, fps: int):
        self.fps = fps
        self.inputs: list[Input] = []
        self.chains: list[str] = []
        self.repeat = f"loop=loop=-1:size=1:start=0,settb=1/{fps},setpts=N"

    def add_input(self, name: str, *options: str) -> int:
        self.inputs.append(Input(name, options))
        return len(self.inputs) - 1

    def whole(self, layer: Layer, placed: list[Placed] | None = None) -> str:
        """A stream of ``layer``'s output in one piece (with its mask's alpha, if it has one), with
        ``placed`` overlays laid on it (see ``_placed_overlays``)."""
        pieces = self.pieces(layer, placed or [])
        label = pieces[0].label if len(pieces) == 1 else self.stack(pieces, f"{layer.name}_whole")
        if layer.mask is None:
            return label
        index = self.add_input(layer.mask_file_name)
        self.chains.append(f"[{index}:v]format=gray,{self.repeat}[{layer.name}_mask]")
        self.chains.append(f"[{label}]format=yuva420p[{layer.name}_unmasked]")
        self.chains.append(f"[{layer.name}_unmasked][{layer.name}_mask]alphamerge[{layer.name}_masked]")
        return f"{layer.name}_masked"

    def trimmed(self, label: str, frames: int) -> str:
        self.chains.append(f"[{label}]trim=end_frame={frames}[{label}_trimmed]")
        return f"{label}_trimmed"

    def source(self, layer: Layer) -> str:
        """A stream of ``layer``'s picture: its still repeated, its clip, or its segments in turn."""
        if layer.segments:
            cuts = [self.trimmed(self.whole(segment.layer), segment.frames) for segment in layer.segments]
            if len(cuts) == 1:
                return cuts[0]
            self.chains.append("".join(f"[{cut}]" for cut in cuts) + f"concat=n={len(cuts)}:v=1:a=0[{layer.name}]")
            return layer.name
        if layer.clip is not None:
            # Muted (its audio is never mapped), looped from its start, scaled to cover the
            # picture and cropped centred, at the video's frame rate.
            index = self.add_input(str(Path(layer.clip).resolve()), "-stream_loop", "-1")
            width, height = layer.image.size
            self.chains.append(
                f"[{index}:v]setpts=PTS-STARTPTS,fps={self.fps},"
                f"scale=w={width}:h={height}:force_original_aspect_ratio=increase:flags=bilinear,"
                f"crop=w={width}:h={height},setsar=1,format=yuv420p,settb=1/{self.fps},setpts=N[{layer.name}]"
            )
            return layer.name
        index = self.add_input(layer.file_name, *layer.input_options())
        # Convert before looping: the conversion then happens once, not once per frame.
        pixel_format = "yuva420p" if layer.transparent else "yuv420p"
        drawn = ""
        if layer.drawn_by:
            # Only the frames where the drawing changes go on, the last one ending the stream
            # (the overlay then holds it: an endless stream with no frame left to keep would
            # make it wait forever).
            frames = sorted(set(layer.redrawn_on) | {0})
            drawn = f",trim=end_frame={frames[-1] + 1},select='{_any_frame(frames)}',{layer.drawn_by}"
        self.chains.append(f"[{index}:v]{CONVERT}format={pixel_format},{self.repeat}{drawn}[{layer.name}]")
        return layer.name

    def overlay(self, below: str, layer: Layer, position: tuple[int, int], output: str) -> str:
        """``layer`` blended onto the ``below`` stream at ``position``, on the frames it is shown."""
        x, y = position
        self.chains.append(f"[{below}][{self.whole(layer)}]overlay=x={x}:y={y}{self.enable(layer)}[{output}]")
        return output

    def enable(self, layer: Layer) -> str:
        """The ``enable`` option of the overlay of ``layer`` on the frames it is shown."""
        if layer.shown is None:
            return ""
        # Switched half a frame early, as sendcmd's moves are: rounding never shifts a frame.
        first, end = ((frame - SWITCH_OFFSET) / self.fps for frame in layer.shown)
        return f":enable='between(t,{first:.4f},{end:.4f})'"

    def pieces(self, layer: Layer, placed: list[Placed] | None = None) -> list[Piece]:
        """Streams that tile ``layer``'s output (several when fixed patches sit on it), with
        ``placed`` overlays laid on it in its last stack."""
        label = self.source(layer)
        run: list[Layer] = []  # opaque layers, not overlapping, to stack in together
        for inner in layer.layers:
            if self.stackable(inner, picture_size(layer)) and not any(_overlap(inner, other) for other in run):
                run.append(inner)
                continue
            label = self.stack_in(label, picture_size(layer), run)
            run = []
            if self.stackable(inner, picture_size(layer)):
                run = [inner]
            else:
                label = self.overlay(label, inner, inner.position, f"{label}_{inner.name}")
        label = self.stack_in(label, picture_size(layer), run, placed or [])
        if layer.size is not None:
            width, height = layer.size
            x, y = layer.window_at(0)
            sendcmd = f"sendcmd=filename={layer.command_file_name}," if layer.moves() else ""
            window = f"{layer.name}_window"
            self.chains.append(f"[{label}]{sendcmd}crop@{layer.name}=w={width}:h={height}:x={x}:y={y}[{window}]")
            label = window
        return self.patched(label, layer.output_size, layer.fixed)

    @staticmethod
    def stackable(layer: Layer, below_size: tuple[int, int]) -> bool:
        """Opaque and not covering all of the picture below (a picture cut into no pieces would
        have to go to a sink, and an endless looped input into a sink never lets ffmpeg finish)."""
        width, height = layer.output_size
        covers = layer.position == (0, 0) and (width, height) == tuple(below_size)
        return not layer.blended and not covers

    def stack_in(
        self, below: str, below_size: tuple[int, int], layers: list[Layer], placed: list[Placed] | None = None
    ) -> str:
        """``layers`` (opaque, not overlapping) put into the ``below`` stream by one ``xstack``
        of them and the pieces of ``below`` around them; each of ``placed`` overlaid on its own
        piece of ``below`` (its tile), which goes into the same ``xstack``."""
        placed = placed or []
        if not layers and not placed:
            return below
        output = "_".join([below, *(layer.name for layer in layers), *(item.layer.name for item in placed)])
        if placed:
            return self.stack_placed(below, below_size, layers, placed, output)
        if len(layers) == 1:  # a layer may itself be several pieces (its fixed patches)
            layer = layers[0]
            x, y = layer.position
            around = self.cut(below, below_size, _around((x, y, *layer.output_size), below_size), f"{output}_around")
            inside = [Piece(p.label, p.x + x, p.y + y, p.width, p.height) for p in self.pieces(layer)]
            return self.stack(around + inside, output)
        rects = [(*layer.position, *layer.output_size) for layer in layers]
        tiles = _tiles(below_size, rects)
        owners = [next((i for i, r in enumerate(rects) if _inside(tile, r)), None) for tile in tiles]
        pieces = self.cut(below, below_size, [t for t, o in zip(tiles, owners) if o is None], f"{output}_around")
        for index, layer in enumerate(layers):
            parts = [tile for tile, owner in zip(tiles, owners) if owner == index]
            x, y = layer.position
            relative = [(tx - x, ty - y, width, height) for tx, ty, width, height in parts]
            for piece in self.cut(self.whole(layer), layer.output_size, relative, f"{output}_{layer.name}"):
                pieces.append(Piece(piece.label, piece.x + x, piece.y + y, piece.width, piece.height))
        return self.stack(pieces, output)

    def stack_placed(
        self, below: str, below_size: tuple[int, int], layers: list[Layer], placed: list[Placed], output: str
    ) -> str:
        """``stack_in`` with ``placed`` overlays: every rectangle (the layers' and the placed
        tiles') is one tile of ``below`` (``_placed_overlays`` checked it)."""
        rects = [(*layer.position, *layer.output_size) for layer in layers]
        tiles = _tiles(below_size, [*rects, *(item.tile for item in placed)])
        pieces = self.cut(below, below_size, [tile for tile in tiles if tile not in rects], f"{output}_around")
        by_tile = {item.tile: item for item in placed}
        for index, piece in enumerate(pieces):
            item = by_tile.get(piece[1:])
            if item is not None:
                pieces[index] = Piece(self.placed_overlay(piece.label, item), *piece[1:])
        for layer in layers:
            x, y = layer.position
            pieces += [Piece(p.label, p.x + x, p.y + y, p.width, p.height) for p in self.pieces(layer)]
        return self.stack(pieces, output)

    def placed_overlay(self, tile: str, item: Placed) -> str:
        """``item``'s overlay blended onto its ``tile`` where the window puts it on each frame:
        at its place on the finished frame plus the window's corner, moved by ``sendcmd`` on
        the frames where the window moves (as the window's own crop is)."""
        layer, (tile_x, tile_y) = item.layer, item.tile[:2]
        name = f"{layer.name}_placed"
        (x, y), (wx, wy) = layer.position, item.windows[0]
        commands = move_commands(item.windows, self.fps, f"overlay@{name}", offset=(x - tile_x, y - tile_y))
        below = tile
        if commands:
            below = f"{tile}_moving"
            self.chains.append(f"[{tile}]sendcmd=commands='{' '.join(commands)}'[{below}]")
        output, place = f"{tile}_{layer.name}", f"x={x + wx - tile_x}:y={y + wy - tile_y}"
        self.chains.append(f"[{below}][{self.whole(layer)}]overlay@{name}={place}{self.enable(layer)}[{output}]")
        return output

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


def move_commands(windows: list[tuple[int, int]], fps: int, target: str, offset: tuple[int, int] = (0, 0)) -> list[str]:
    """``sendcmd`` commands setting ``target``'s x and y to a window's corner (plus ``offset``) on
    each frame where it changes, half a frame early (rounding never shifts a frame)."""
    commands = []
    for frame in range(1, len(windows)):
        (x, y), (px, py) = windows[frame], windows[frame - 1]
        at = (frame - SWITCH_OFFSET) / fps
        if x != px:
            commands.append(f"{at:.4f} {target} x {x + offset[0]};")
        if y != py:
            commands.append(f"{at:.4f} {target} y {y + offset[1]};")
    return commands


class Placed(NamedTuple):
    """An overlay of the finished frame laid instead on the background's picture, in the stack
    that puts its layers in: on ``tile``, the part of the picture (x, y, width, height) under the
    overlay wherever the background's window (its corner on each frame: ``windows``) puts it."""

    layer: Layer
    tile: tuple[int, int, int, int]
    windows: list[tuple[int, int]]


def _placed_overlays(scene: Scene) -> list[Placed]:
    """The scene's overlays as ``Placed`` tiles of its background's picture, or none.

    ``overlay`` copies the whole frame below it on every frame before it blends (a looped
    picture's frame is shared): ~0.5 ms at 1080p, each overlay. Laid on their tiles, the overlays
    copy only the tiles, and the one ``xstack`` that puts the background's layers in (or that
    puts the tiles back, for two overlays or more) copies the frame once. All of them or none
    (they keep their order): each tile must be one of ``_tiles``' tiles (sharing no rows partly
    with another tile or stacked layer), the window's corners and the overlays' places even (a
    4:2:0 picture's chroma is placed by pairs of pixels), and nothing laid on the window after
    the stack (fixed patches, a mask) that an overlay would have to cover.
    """
    background = scene.background
    if not scene.overlays or background.fixed or background.mask is not None or background.segments:
        return []
    size = picture_size(background)
    windows = (background.size is not None and background.windows) or [(0, 0)]  # no window: the picture is the frame
    left, top = min(x for x, _ in windows), min(y for _, y in windows)
    travel = (max(x for x, _ in windows) - left, max(y for _, y in windows) - top)
    placed = []
    for overlay in scene.overlays:
        (x, y), (width, height) = overlay.position, overlay.output_size
        tile = (x + left, y + top, width + travel[0], height + travel[1])
        inside = tile[0] >= 0 and tile[1] >= 0 and tile[0] + tile[2] <= size[0] and tile[1] + tile[3] <= size[1]
        if not inside or any(value % 2 for value in (*tile, *(v for w in windows for v in w))):
            return []
        placed.append(Placed(overlay, tile, windows))
    stacked = _last_stack(background)
    rects = [(*layer.position, *layer.output_size) for layer in stacked] + [item.tile for item in placed]
    if len(stacked) + len(placed) < 2 or any(_rects_overlap(a, b) for i, a in enumerate(rects) for b in rects[i + 1 :]):
        return []
    tiles = _tiles(size, rects)
    if any(tiles.count(rect) != 1 or rect == (0, 0, *size) for rect in rects) or any(
        sum(_inside(tile, rect) for tile in tiles) != 1 for rect in rects
    ):
        return []
    return placed


def _last_stack(layer: Layer) -> list[Layer]:
    """The layers that ``_GraphBuilder.pieces`` stacks into ``layer``'s picture last (the ones
    after its last overlaid layer)."""
    run: list[Layer] = []
    for inner in layer.layers:
        if _GraphBuilder.stackable(inner, picture_size(layer)) and not any(_overlap(inner, other) for other in run):
            run.append(inner)
        else:
            run = [inner] if _GraphBuilder.stackable(inner, picture_size(layer)) else []
    return run


def _rects_overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _any_frame(frames: list[int]) -> str:
    """An expression true on ``frames``: a sum of eq(n,frame) nested as a balanced tree (ffmpeg's
    parser refuses a flat sum of thousands, which a long reel's captions need)."""
    if len(frames) == 1:
        return f"eq(n,{frames[0]})"
    middle = len(frames) // 2
    return f"({_any_frame(frames[:middle])}+{_any_frame(frames[middle:])})"


def picture_size(layer: Layer) -> tuple[int, int]:
    """The size of the picture a layer's window looks at."""
    if layer.segments:
        return layer.segments[0].layer.output_size
    return layer.image.size


def _overlap(a: Layer, b: Layer) -> bool:
    return _rects_overlap((*a.position, *a.output_size), (*b.position, *b.output_size))


def _inside(tile: tuple[int, int, int, int], rect: tuple[int, int, int, int]) -> bool:
    x, y, width, height = tile
    rx, ry, rw, rh = rect
    return rx <= x and ry <= y and x + width <= rx + rw and y + height <= ry + rh


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
