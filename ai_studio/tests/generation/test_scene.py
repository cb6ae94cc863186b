"""Scenes: what ffmpeg composes from layers and moving windows equals what Pillow composes: masks,
layers shown on some frames only, segments (stills and clips) cut together, overlays on the
finished frame and a tail after it."""

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ai_studio.generation import scene as scene_module
from ai_studio.generation.captions import ass_event_times, to_ass
from ai_studio.generation.ffmpeg import ffmpeg_exe
from ai_studio.generation.render import first_frame_at
from ai_studio.generation.scene import Layer, Scene, Segment, _tiles, compose_frame, filter_graph, write_inputs
from ai_studio.generation.types import CaptionStyle, Cue, WordTiming

FPS = 30
SIZE = (160, 120)


def picture(size, seed: int, alpha: bool = False) -> Image.Image:
    """Blocky random colours: any misplaced pixel shows."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, (size[1] // 8 + 1, size[0] // 8 + 1, 3), dtype=np.uint8)
    pixels = np.kron(blocks, np.ones((8, 8, 1), dtype=np.uint8))[: size[1], : size[0]]
    image = Image.fromarray(pixels, "RGB")
    if alpha:
        mask = Image.new("L", size, 0)
        ImageDraw.Draw(mask).ellipse((0, 0, size[0] - 1, size[1] - 1), fill=255)
        image.putalpha(mask)
    return image


def render(scene: Scene, folder: Path) -> np.ndarray:
    write_inputs(scene, folder, FPS)
    inputs, graph = filter_graph(scene, FPS)
    (folder / "graph.txt").write_text(graph)
    arguments = [arg for item in inputs for arg in item.arguments()]
    raw = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", *arguments, "-/filter_complex", "graph.txt", "-map",
         "[video]", "-frames:v", str(scene.total_frames), "-r", str(FPS), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        cwd=folder, capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    width, height = scene.background.output_size
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, height, width, 3)


def difference(decoded: np.ndarray, composed: Image.Image) -> float:
    return float(np.abs(decoded.astype(np.int16) - np.asarray(composed, dtype=np.int16)).mean())


@pytest.mark.parametrize("covers", ["part", "all"])
def test_a_stacked_moving_window_with_fixed_patches_composes_like_pillow(tmp_path, covers):
    frames = 6
    card = (96, 64) if covers == "part" else SIZE
    position = (32, 24) if covers == "part" else (0, 0)
    head = Layer(
        name="head",
        image=picture((card[0] + 16, card[1] + 16), seed=2),
        position=position,
        size=card,
        windows=[(2 * n, 16 - 2 * n) for n in range(frames)],
        layers=[Layer(name="spot", image=picture((24, 16), seed=3), position=(40, 30), transparent=True)],
        fixed=[Layer(name="badge", image=picture((16, 16), seed=4, alpha=True), position=(0, 0), transparent=True)],
    )
    scene = Scene(Layer(name="bg", image=picture(SIZE, seed=1), position=(0, 0), layers=[head]), frames)

    decoded = render(scene, tmp_path)

    assert len(decoded) == frames
    for n in range(frames):
        assert difference(decoded[n], compose_frame(scene, n)) < 6, n
    assert difference(decoded[3], compose_frame(scene, 0)) > 3 * difference(decoded[3], compose_frame(scene, 3))


def test_tiles_cover_the_picture_once_with_each_patch_a_tile_of_its_own():
    patches = [(0, 0, 10, 10), (90, 0, 10, 10), (0, 70, 10, 10), (90, 70, 10, 10)]

    tiles = _tiles((100, 80), patches)

    covered = np.zeros((80, 100), dtype=int)
    for x, y, width, height in tiles:
        covered[y : y + height, x : x + width] += 1
    assert (covered == 1).all()
    assert all(patch in tiles for patch in patches)
    assert len(tiles) == 7  # two corner rows of three, and the band between them


def solid(size, color) -> Image.Image:
    return Image.new("RGB", size, color)


def test_a_masked_layer_over_a_moving_picture_shows_only_inside_its_mask(tmp_path):
    frames = 5
    disc = Image.new("L", (48, 48), 0)
    ImageDraw.Draw(disc).ellipse((0, 0, 47, 47), fill=255)
    media = Layer(
        name="media",
        image=picture((SIZE[0] + 20, SIZE[1]), seed=5),
        position=(0, 0),
        size=SIZE,
        windows=[(4 * n, 0) for n in range(frames)],
    )
    bubble = Layer(name="bubble", image=solid((48, 48), (250, 20, 20)), position=(16, 60), mask=disc)
    scene = Scene(Layer(name="bg", image=solid(SIZE, (0, 0, 0)), position=(0, 0), layers=[media]), frames)
    media.layers.append(bubble)

    decoded = render(scene, tmp_path)

    for n in range(frames):
        assert difference(decoded[n], compose_frame(scene, n)) < 6, n
    center, corner = decoded[0][60 + 24, 16 + 24], decoded[0][60 + 1, 16 + 1]
    assert center[0] > 200 and center[1] < 60  # the red bubble inside its circle
    assert abs(corner.astype(int) - np.asarray(compose_frame(scene, 0))[61, 17]).max() < 40  # the media outside it


def test_a_layer_shown_on_some_frames_appears_on_exactly_those_frames(tmp_path):
    badge = Layer(name="badge", image=solid((32, 32), (255, 255, 255)), position=(8, 8), transparent=True, shown=(2, 5))
    scene = Scene(Layer(name="bg", image=solid(SIZE, (0, 0, 80)), position=(0, 0), layers=[badge]), 7)

    decoded = render(scene, tmp_path)

    shown = [n for n in range(7) if decoded[n][24, 24].mean() > 200]
    assert shown == [2, 3, 4]
    assert all(difference(decoded[n], compose_frame(scene, n)) < 3 for n in range(7))


def test_segments_cut_on_their_first_frames_and_a_clip_plays_in_its_own(tmp_path):
    clip = tmp_path / "clip.mp4"
    subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i", "color=c=0x00ff00:s=64x48:d=0.2:r=25",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip)], check=True)  # fmt: skip
    red = Layer(name="red", image=solid(SIZE, (255, 0, 0)), position=(0, 0))
    green = Layer(name="green", image=solid(SIZE, (0, 255, 0)), position=(0, 0), clip=clip)
    blue = Layer(name="blue", image=solid(SIZE, (0, 0, 255)), position=(0, 0))
    # The clip (0.2 s) is shorter than its segment: it loops.
    track = Layer(
        name="track",
        image=solid(SIZE, (0, 0, 0)),
        position=(0, 0),
        segments=[Segment(red, 4), Segment(green, 9), Segment(blue, 3)],
    )
    scene = Scene(track, 16)

    decoded = render(scene, tmp_path)

    colours = ["rgb"[int(np.argmax(frame[60, 80]))] for frame in decoded]
    assert "".join(colours) == "r" * 4 + "g" * 9 + "b" * 3


def test_overlays_stay_put_over_a_moving_background_and_the_tail_follows_the_last_frame(tmp_path):
    moving = Layer(
        name="moving",
        image=picture((SIZE[0] + 16, SIZE[1] + 16), seed=7),
        position=(0, 0),
        size=SIZE,
        windows=[(2 * n, 2 * n) for n in range(6)],
    )
    logo = Layer(name="logo", image=picture((24, 16), seed=8).convert("RGBA"), position=(120, 8), transparent=True)
    scene = Scene(
        moving,
        6,
        overlays=[logo],
        tail=Layer(name="end", image=solid(SIZE, (255, 255, 0)), position=(0, 0)),
        tail_frames=3,
    )

    decoded = render(scene, tmp_path)

    assert len(decoded) == scene.total_frames == 9
    for n in range(9):
        assert difference(decoded[n], compose_frame(scene, n)) < 6, n
    logo_area = (slice(8, 24), slice(120, 144))
    assert np.abs(decoded[0][logo_area].astype(int) - decoded[5][logo_area]).mean() < 8  # the logo did not move
    assert (decoded[6:, 60, 80].astype(int) - (255, 255, 0)).__abs__().max() < 12  # the tail


def test_a_layer_drawn_by_a_filter_is_drawn_on_its_frames_and_held_until_the_next(tmp_path):
    """The filter here paints the frame number's parity: what it drew on a listed frame must stay
    on the frames after it, up to the next listed one, even for a long list."""
    redrawn = list(range(0, 1200, 3))
    drawn = Layer(
        name="drawn",
        image=Image.new("RGBA", (16, 16), (0, 0, 0, 0)),
        position=(8, 8),
        transparent=True,
        drawn_by="geq=lum='255*mod(N,2)':cb=128:cr=128:a=255",
        redrawn_on=redrawn,
    )
    scene = Scene(Layer(name="bg", image=solid(SIZE, (0, 0, 200)), position=(0, 0)), 1200, overlays=[drawn])

    decoded = render(scene, tmp_path)

    seen = [int(frame[16, 16].mean() > 128) for frame in decoded]
    assert seen == [(n // 3 * 3) % 2 for n in range(1200)]


def test_captions_drawn_on_their_change_frames_match_libass_drawing_every_frame(tmp_path):
    """At 30 fps ffmpeg gives libass frame 111's time as 3699 ms, not 3700: a cue from 3.70 s
    first shows on frame 112. The change frames must be the ones libass itself switches on."""
    cues = [  # gaps over half a second, so no cue is held until the next
        Cue(3.70, 6.90, (WordTiming("Hi", 3.70, 5.0), WordTiming("yo", 5.0, 6.90))),  # frames 111, 207
        Cue(7.90, 8.20, (WordTiming("Go", 7.90, 8.20),)),  # frame 237
    ]
    script = to_ass(cues, CaptionStyle(font_size=40), 64, 48, area=(0, 0, 64, 48), scale=1.0)
    (tmp_path / "captions.ass").write_text(script)
    frames = 250
    every_frame = subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i", f"color=c=black:s=64x48:r={FPS}", "-vf",
         "ass=filename=captions.ass", "-frames:v", str(frames), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        cwd=tmp_path, capture_output=True, check=True,
    ).stdout  # fmt: skip
    reference = np.frombuffer(every_frame, dtype=np.uint8).reshape(-1, 48, 64, 3)
    changes = [first_frame_at(round(t * 1000), FPS) for t in ass_event_times(script)]
    drawn = Layer(
        name="captions",
        image=Image.new("RGBA", (64, 48), (0, 0, 0, 0)),
        position=(48, 36),
        transparent=True,
        drawn_by="ass=filename=captions.ass:alpha=1",
        redrawn_on=changes,
    )
    scene = Scene(Layer(name="bg", image=solid(SIZE, (0, 0, 0)), position=(0, 0)), frames, overlays=[drawn])

    decoded = render(scene, tmp_path)

    with_text = [bool(frame[36:84, 48:112].max() > 100) for frame in decoded]
    assert with_text == [bool(frame.max() > 100) for frame in reference]
    assert with_text[110:113] == [False, False, True] and with_text[206:209] == [True, True, False]
    assert with_text[236:239] == [False, False, True]


def test_overlays_over_a_stacked_moving_picture_are_laid_on_its_tiles_changing_no_pixel(tmp_path, monkeypatch):
    """A rigged presenter's headline and captions: overlaid on the finished frame, each would copy
    the whole frame below it on every frame; laid on their tiles of the swaying picture, in the
    stack that puts its eyes and mouth in, they give the very same frames."""
    frames = 8
    windows = [(2 * (n % 3), 2 * (n // 2)) for n in range(frames)]  # both ways, some frames still
    mouth = Layer(
        name="mouth",
        image=picture((24, 64), seed=11),
        position=(64, 56),
        size=(24, 16),
        windows=[(0, 16 * (n % 4)) for n in range(frames)],
    )
    head = Layer(
        name="head",
        image=picture((SIZE[0] + 8, SIZE[1] + 16), seed=12),
        position=(0, 0),
        size=SIZE,
        windows=windows,
        layers=[mouth],
    )
    headline = Layer(
        name="headline", image=picture((64, 16), seed=13, alpha=True), position=(48, 8), transparent=True, shown=(0, 5)
    )
    captions = Layer(
        name="captions",
        image=Image.new("RGBA", (96, 16), (0, 0, 0, 0)),
        position=(32, 96),
        transparent=True,
        drawn_by="geq=lum='255*mod(N,2)':cb=128:cr=128:a=128",
        redrawn_on=[0, 3, 6],
    )
    scene = Scene(
        head,
        frames,
        overlays=[headline, captions],
        tail=Layer(name="end", image=solid(SIZE, (255, 255, 0)), position=(0, 0)),
        tail_frames=2,
    )
    (tmp_path / "placed").mkdir()
    (tmp_path / "whole").mkdir()

    _, graph = filter_graph(scene, FPS)
    placed = render(scene, tmp_path / "placed")
    monkeypatch.setattr(scene_module, "_placed_overlays", lambda scene: [])
    whole = render(scene, tmp_path / "whole")

    assert graph.count("xstack") == 1
    assert re.findall(r"\]overlay(@\w+)?=", graph) == ["@headline_placed", "@captions_placed"]
    assert len(placed) == len(whole) == scene.total_frames
    assert np.array_equal(placed, whole)
    for n in range(frames):  # above the captions (Pillow leaves out what a filter draws)
        assert difference(placed[n][:96], np.asarray(compose_frame(scene, n))[:96]) < 6, n
    # The headline shows on frames 0-4 only, at its place on the frame.
    assert np.abs(placed[4][8:24, 48:112].astype(int) - placed[5][8:24, 48:112]).mean() > 10


@pytest.mark.parametrize("case", ["overlapping", "odd window"])
def test_overlays_that_cannot_be_laid_on_tiles_are_laid_on_the_frame(tmp_path, case):
    mouth = Layer(name="mouth", image=picture((24, 16), seed=11), position=(64, 56))
    step = 1 if case == "odd window" else 2
    head = Layer(
        name="head",
        image=picture((SIZE[0] + 8, SIZE[1] + 8), seed=12),
        position=(0, 0),
        size=SIZE,
        windows=[(step * n, 0) for n in range(4)],
        layers=[mouth],
    )
    badge = Layer(
        name="badge",
        image=picture((32, 32), seed=13, alpha=True),
        position=(56, 48) if case == "overlapping" else (8, 8),
        transparent=True,
    )
    scene = Scene(head, 4, overlays=[badge])

    _, graph = filter_graph(scene, FPS)
    decoded = render(scene, tmp_path)

    assert re.findall(r"\]overlay(@\w+)?=", graph) == [""]
    assert len(decoded) == 4
    if case == "overlapping":  # (a window at odd pixels is cropped at even ones, on either path)
        assert all(difference(decoded[n], compose_frame(scene, n)) < 6 for n in range(4))
