"""Contact sheets of every layout at every aspect ratio, to look at the reels as a marketer would:

    .venv/bin/python bench/contact_sheet.py [--out var/contact-sheets] [--resolution 720p]
                                            [--avatar rig|portrait] [--layouts presenter product card]

Runs the production pipeline (local voice, captions, lip sync) on a short ad script with a
headline, the brand's logo and colours and an end card; the product layout gets three scenes (a
still, a short clip, a still) drawn here. Writes one PNG per layout (rows: 9:16, 4:5, 1:1, 16:9;
columns: the hook, mid-speech, the last scene, the end card) and prints their paths.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Runnable from anywhere: the repository root holds the packages.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ai_studio.generation.artifacts import DirectoryArtifactStore
from ai_studio.generation.captions import FONT_DIR
from ai_studio.generation.ffmpeg import ffmpeg_exe
from ai_studio.generation.layout import LAYOUTS
from ai_studio.generation.pipeline import GenerationRequest, run_pipeline
from ai_studio.generation.rig import rig_zip_bytes
from ai_studio.generation.speech import get_provider
from ai_studio.generation.speech.local import DEFAULT_VOICE
from ai_studio.generation.types import ASPECT_RATIOS, EndCard, SceneMedia
from ai_studio.seeding.portraits import PortraitStyle, draw_portrait, draw_rig

SCENES = (
    "Tired of slow mornings?",
    "Meet Rocket Shoes: light, fast and made for your morning run.",
    "Tap the link and get twenty percent off today.",
)
HEADLINE = "Run lighter this spring"
CALL_TO_ACTION = "Shop now: 20% off"
BRAND = {"background_color": "#1D3557", "accent_color": "#E63946"}
STYLE = PortraitStyle(skin="#F1C7A5", hair="#2B1B12", hair_style="long", clothing="#E4572E",
                      clothing_style="crew", background=("#1D3557", "#457B9D"))
MOMENTS = ("hook", "mid", "last scene", "end card")
CELL_HEIGHT = 480
FONT = ImageFont.truetype(str(FONT_DIR / "DejaVuSans-Bold.ttf"), 22)


def main() -> None:
    args = _arguments()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="contact-sheet-") as tmp:
        work = Path(tmp)
        inputs = _inputs(work, args.avatar)
        for layout in args.layouts:
            rows = []
            for aspect in ASPECT_RATIOS:
                video, duration, cuts = _render(work / f"{layout}-{aspect.replace(':', 'x')}", inputs, layout, aspect,
                                                args.resolution)
                times = (0.5, 0.45 * duration, cuts[-1] + 0.6, duration - 0.5)
                rows.append([_frame(video, t) for t in times])
            path = out / f"{layout}.png"
            _sheet(rows, f"{LAYOUTS[layout].title} ({args.avatar})").save(path)
            print(path)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "var" / "contact-sheets"))
    parser.add_argument("--resolution", default="720p", choices=("720p", "1080p"))
    parser.add_argument("--avatar", default="rig", choices=("rig", "portrait"))
    parser.add_argument("--layouts", nargs="+", default=list(LAYOUTS), choices=list(LAYOUTS))
    return parser.parse_args()


def _inputs(work: Path, avatar: str) -> dict[str, object]:
    portrait = work / "portrait.png"
    draw_portrait(STYLE).save(portrait)
    rig = None
    if avatar == "rig":
        rig = work / "rig.zip"
        rig.write_bytes(rig_zip_bytes(draw_rig(STYLE)))
    logo = work / "logo.png"
    _draw_logo().save(logo)
    media = [work / "shoe.jpg", work / "spin.mp4", work / "sale.png"]
    _draw_product("#F4F1EA", "#E63946", "ROCKET").convert("RGB").save(media[0], quality=92)
    _make_clip(media[1])
    _draw_product("#FFD166", "#1D3557", "-20%").save(media[2])
    return {"portrait": portrait, "rig": rig, "logo": logo, "media": media}


def _render(work: Path, inputs: dict, layout: str, aspect: str, resolution: str) -> tuple[Path, float, list[float]]:
    scenes = []
    if layout == "product":
        kinds = ("image", "video", "image")
        scenes = [SceneMedia(text, path, kind) for text, path, kind in zip(SCENES, inputs["media"], kinds)]
    request = GenerationRequest(
        script=" ".join(SCENES), voice_id=DEFAULT_VOICE, portrait_path=inputs["portrait"], rig_path=inputs["rig"],
        aspect_ratio=aspect, resolution=resolution, logo_path=inputs["logo"], layout=layout, headline=HEADLINE,
        end_card=EndCard(CALL_TO_ACTION), scenes=scenes, **BRAND,
    )
    result = run_pipeline(request, workdir=work, speech_provider=get_provider("local"),
                          store=DirectoryArtifactStore(work / "out"), key_prefix="sheet")
    words = result.speech.words
    first_words = [0, len(SCENES[0].split()), len(SCENES[0].split()) + len(SCENES[1].split())]
    return result.render.video_path, result.render.duration, [words[i].start for i in first_words]


def _frame(video: Path, at: float) -> Image.Image:
    png = subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-ss", f"{at:.3f}", "-i", str(video), "-frames:v", "1",
         "-f", "image2pipe", "-vcodec", "png", "-"], capture_output=True, check=True,
    ).stdout  # fmt: skip
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return image.resize((round(image.width * CELL_HEIGHT / image.height), CELL_HEIGHT), Image.Resampling.LANCZOS)


def _sheet(rows: list[list[Image.Image]], title: str) -> Image.Image:
    gap, header = 12, 44
    width = max(sum(cell.width for cell in row) + gap * (len(row) + 1) for row in rows)
    height = header + len(rows) * (CELL_HEIGHT + gap) + gap
    sheet = Image.new("RGB", (width, height), (32, 32, 36))
    draw = ImageDraw.Draw(sheet)
    draw.text((gap, 10), f"{title}: " + " | ".join(MOMENTS), font=FONT, fill=(235, 235, 235))
    y = header
    for row in rows:
        x = gap
        for cell in row:
            sheet.paste(cell, (x, y))
            x += cell.width + gap
        y += CELL_HEIGHT + gap
    return sheet


def _draw_logo() -> Image.Image:
    logo = Image.new("RGBA", (420, 140), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    draw.ellipse((4, 4, 132, 132), fill=(230, 57, 70, 255))
    draw.polygon([(50, 100), (95, 30), (88, 75), (110, 70), (60, 120), (70, 85)], fill=(255, 255, 255, 255))
    font = ImageFont.truetype(str(FONT_DIR / "DejaVuSans-Bold.ttf"), 64)
    draw.text((150, 70), "rocket", font=font, fill=(255, 255, 255, 255), anchor="lm")
    return logo


def _draw_product(background: str, color: str, label: str, size=(1200, 900)) -> Image.Image:
    """A product shot: a shoe-like shape on a studio backdrop with a soft shadow."""
    width, height = size
    base = np.array(Image.new("RGB", (1, 1), background).getpixel((0, 0)), dtype=np.float32)
    ys = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    pixels = base * (1.05 - 0.25 * ys) * np.ones((1, width, 1), dtype=np.float32)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    shadow = Image.new("L", size, 0)
    ImageDraw.Draw(shadow).ellipse((260, 640, 940, 720), fill=110)
    image.paste((30, 30, 30), (0, 0), shadow.resize((width // 8, height // 8)).resize(size, Image.Resampling.BICUBIC))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((300, 420, 900, 650), radius=110, fill=color)  # the shoe's body
    draw.rounded_rectangle((280, 610, 930, 680), radius=34, fill=(250, 250, 250))  # the sole
    draw.polygon([(420, 430), (560, 300), (700, 300), (760, 430)], fill=color)  # the collar
    for x in range(470, 720, 50):
        draw.line((x, 360, x + 40, 460), fill=(250, 250, 250), width=10)  # laces
    font = ImageFont.truetype(str(FONT_DIR / "DejaVuSans-Bold.ttf"), 72)
    draw.text((600, 560), label, font=font, fill=(250, 250, 250), anchor="mm")
    return image


def _make_clip(path: Path, seconds: float = 2.0, fps: int = 30) -> None:
    """The product turning: the shot drawn with the shoe moving across, encoded with ffmpeg."""
    still = _draw_product("#A8DADC", "#E63946", "ROCKET").resize((720, 540), Image.Resampling.LANCZOS)
    frames = []
    for n in range(int(seconds * fps)):
        frame = Image.new("RGB", still.size, still.getpixel((0, 0)))
        frame.paste(still, (round(40 * np.sin(2 * np.pi * n / (seconds * fps))), 0))
        frames.append(frame.tobytes())
    subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "720x540",
         "-r", str(fps), "-i", "-", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)],
        input=b"".join(frames), check=True,
    )  # fmt: skip


if __name__ == "__main__":
    main()
