"""Running the ffmpeg binary shipped in the ``imageio-ffmpeg`` wheel, and reading media facts.

The wheel has no ffprobe, so ``probe`` reads the input description ffmpeg prints for ``-i`` and
counts the video frames by stream-copying the file to the null muxer (milliseconds: no decoding).
"""

from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path
from typing import NamedTuple, TypedDict

import imageio_ffmpeg

from .errors import GenerationError

# Copy the audio and video packets to nowhere, reporting progress (the frame count) on stdout.
# fmt: off
_COUNT_FRAMES = [
    "-map", "0:v?", "-map", "0:a?", "-c", "copy", "-f", "null",
    "-progress", "pipe:1", "-nostats", "-",
]
# fmt: on
STDERR_TAIL_LINES = 15
DEFAULT_TIMEOUT = 120.0  # seconds
PROBE_TIMEOUT = 30.0


class RenderError(GenerationError):
    """A render step failed; ``code`` is stable and machine-readable, ``message`` is for people.

    Codes: ``ffmpeg_unavailable``, ``ffmpeg_failed``, ``ffmpeg_timeout``, ``probe_failed`` here;
    ``render.py`` adds input codes such as ``portrait_missing`` and ``audio_unreadable``.
    """


class MediaInfo(TypedDict):
    """What ``probe`` reports; a value is None when the file does not have it."""

    duration: float | None  # container duration, seconds (10 ms precision)
    video_codec: str | None
    width: int | None
    height: int | None
    fps: float | None
    pix_fmt: str | None
    frames: int  # video frames counted in the file (0 without video)
    video_duration: float | None  # frames / fps: exact for constant frame rate
    audio_codec: str | None
    sample_rate: int | None
    channels: int | None


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary (``IMAGEIO_FFMPEG_EXE`` overrides the bundled one)."""
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        raise RenderError("ffmpeg_unavailable", str(exc)) from exc


def run_ffmpeg(
    args: list[str], *, timeout: float = DEFAULT_TIMEOUT, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ffmpeg with ``args``; raise RenderError with the tail of stderr when it fails."""
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", *args]
    try:
        completed = subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,  # a failure is reported below, with the end of stderr
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderError(
            "ffmpeg_timeout", f"ffmpeg ran over {timeout:.0f} s\n{_tail(exc.stderr)}"
        ) from exc
    except OSError as exc:
        raise RenderError(
            "ffmpeg_unavailable", f"cannot run {command[0]}: {exc}"
        ) from exc
    if completed.returncode != 0:
        raise RenderError(
            "ffmpeg_failed",
            f"ffmpeg exited with {completed.returncode}\n{_tail(completed.stderr)}",
        )
    return completed


def _tail(stderr: str | bytes | None) -> str:
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    lines = (stderr or "").strip().splitlines()
    return "\n".join(lines[-STDERR_TAIL_LINES:])


def probe(path: Path | str) -> MediaInfo:
    """Codecs, frame size, frame rate, pixel format and durations of a media file."""
    path = Path(path)
    if not path.is_file():
        raise RenderError("probe_failed", f"no such file: {path}")
    try:
        completed = run_ffmpeg(["-i", str(path), *_COUNT_FRAMES], timeout=PROBE_TIMEOUT)
    except RenderError as exc:
        raise RenderError("probe_failed", f"cannot read {path}: {exc.message}") from exc
    return parse_media_info(completed.stderr, completed.stdout)


def parse_media_info(description: str, progress: str = "") -> MediaInfo:
    """Build MediaInfo from ffmpeg's input description (stderr) and ``-progress`` output."""
    input_section = description.split("Stream mapping:", 1)[0].split("\nOutput #", 1)[0]
    video = _first_stream(input_section, "Video")
    audio = _first_stream(input_section, "Audio")
    info = MediaInfo(
        duration=_container_duration(input_section),
        video_codec=None,
        width=None,
        height=None,
        fps=None,
        pix_fmt=None,
        frames=_progress_frames(progress) if video else 0,
        video_duration=None,
        audio_codec=None,
        sample_rate=None,
        channels=None,
    )
    if video:
        info.update(_video_facts(video))
        if info["fps"]:
            info["video_duration"] = info["frames"] / info["fps"]
    if audio:
        info.update(_audio_facts(audio))
    return info


_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_STREAM = re.compile(
    r"^\s*Stream #\d+:\d+\S*: (Video|Audio|Subtitle|Data|Attachment): (.*)$",
    re.MULTILINE,
)
_FRAME_SIZE = re.compile(r"^(\d+)x(\d+)")
_CHANNELS = {"mono": 1, "stereo": 2, "2.1": 3, "quad": 4, "5.0": 5, "5.1": 6, "7.1": 8}


def _container_duration(description: str) -> float | None:
    match = _DURATION.search(description)
    if not match:  # "Duration: N/A", as for some still images
        return None
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _first_stream(description: str, kind: str) -> list[str] | None:
    """The comma-separated parts of the first ``kind`` stream's description line."""
    for match in _STREAM.finditer(description):
        if match.group(1) == kind:
            return _split_outside_parentheses(match.group(2))
    return None


def _split_outside_parentheses(text: str) -> list[str]:
    # "yuv420p(tv, bt709, progressive)" holds commas that do not separate fields.
    parts, depth, current = [], 0, []
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


def _codec_name(parts: list[str]) -> str:
    return parts[0].split()[0]


def _video_facts(parts: list[str]) -> dict:
    facts: dict = {"video_codec": _codec_name(parts)}
    if len(parts) > 1:
        facts["pix_fmt"] = parts[1].split("(")[0].strip() or None
    for part in parts[1:]:
        size = _FRAME_SIZE.match(part)
        if size and facts.get("width") is None:
            facts["width"], facts["height"] = int(size.group(1)), int(size.group(2))
        elif part.endswith(" fps"):
            facts["fps"] = _rate(part.removesuffix(" fps"))
        elif part.endswith(" tbr") and "fps" not in facts:
            facts["fps"] = _rate(part.removesuffix(" tbr"))
    return facts


def _rate(text: str) -> float:
    """ffmpeg prints rates as "30", "29.97" or "1k"."""
    text = text.strip()
    return float(text[:-1]) * 1000 if text.endswith("k") else float(text)


def _audio_facts(parts: list[str]) -> dict:
    facts: dict = {"audio_codec": _codec_name(parts)}
    for part in parts[1:]:
        if part.endswith(" Hz"):
            facts["sample_rate"] = int(part.removesuffix(" Hz"))
        elif part in _CHANNELS:
            facts["channels"] = _CHANNELS[part]
        elif part.endswith(" channels"):
            facts["channels"] = int(part.split()[0])
    return facts


def _progress_frames(progress: str) -> int:
    frames = re.findall(r"^frame=(\d+)$", progress, re.MULTILINE)
    return int(frames[-1]) if frames else 0


class Loudness(NamedTuple):
    integrated: float  # LUFS
    true_peak: float  # dBTP


def measure_loudness(path: Path | str) -> Loudness:
    """Integrated loudness and true peak of a file's audio, by ffmpeg's own BS.1770 meter (ebur128).

    An independent check of ``lufs`` (tests, benchmarks); 0.1 dB resolution.
    """
    args = ["-nostats", "-i", str(path), "-map", "0:a:0", "-af", "ebur128=peak=true", "-f", "null", "-"]
    summary = run_ffmpeg(args, timeout=PROBE_TIMEOUT).stderr.rsplit("Summary:", 1)[-1]
    integrated = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    peak = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    if not integrated or not peak:
        raise RenderError("probe_failed", f"no loudness summary for {path}")
    return Loudness(float(integrated.group(1)), float(peak.group(1)))


def extract_frame(video_path: Path, at_seconds: float, image_path: Path) -> Path:
    """Decode the frame shown at ``at_seconds`` into an image (PNG or JPEG by extension)."""
    # fmt: off
    args = [
        "-y", "-loglevel", "error",
        "-ss", f"{at_seconds:.3f}", "-i", str(video_path),
        "-frames:v", "1", "-update", "1", str(image_path),
    ]
    # fmt: on
    run_ffmpeg(args, timeout=PROBE_TIMEOUT)
    return image_path
