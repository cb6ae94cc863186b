"""Scenes: what ffmpeg composes from layers and moving windows equals what Pillow composes."""

import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ai_studio.generation.ffmpeg import ffmpeg_exe
from ai_studio.generation.scene import Layer, Scene, _tiles, compose_frame, filter_graph, write_inputs

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
    files, graph = filter_graph(scene, FPS)
    (folder / "graph.txt").write_text(graph)
    inputs = [arg for name in files for arg in ("-i", name)]
    raw = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", *inputs, "-/filter_complex", "graph.txt", "-map", "[video]",
         "-frames:v", str(scene.frame_count), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        cwd=folder, capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    width, height = scene.background.image.size
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
