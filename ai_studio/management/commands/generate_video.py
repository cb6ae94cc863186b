"""Render a reel from the command line, without the frontend or a worker."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.core.management import BaseCommand, CommandError
from tqdm import tqdm

from ai_studio.generation.artifacts import DirectoryArtifactStore
from ai_studio.generation.errors import GenerationError
from ai_studio.generation.pipeline import run_pipeline
from ai_studio.generation.types import ASPECT_RATIOS, RESOLUTIONS
from ai_studio.models import AIAvatar, AIVoice, MusicTrack, VideoGenerationJob
from ai_studio.services import engine_requests
from ai_studio.services.artifact_storage import DjangoStorageArtifactStore


class _ProgressBar:
    def __init__(self, bar: tqdm) -> None:
        self.bar = bar

    def stage(self, stage: str, progress: int) -> None:
        self.bar.set_description(stage.replace("_", " "), refresh=False)
        self.bar.update(progress - self.bar.n)


class Command(BaseCommand):
    help = 'Render a reel: manage.py generate_video --script "..." --avatar SLUG --voice SLUG --out reel.mp4'

    def add_arguments(self, parser):
        parser.add_argument("--script", required=True, help="what the avatar says (or @file.txt)")
        parser.add_argument("--avatar", required=True, help="avatar slug (see /admin/ or the API)")
        parser.add_argument("--voice", help="voice slug (default: the avatar's default voice)")
        parser.add_argument("--aspect", default="9:16", choices=sorted(ASPECT_RATIOS))
        parser.add_argument("--resolution", default="720p", choices=sorted(RESOLUTIONS))
        parser.add_argument("--speed", type=float, default=1.0)
        parser.add_argument("--no-captions", action="store_true")
        parser.add_argument("--background", default=None, help="#RRGGBB (default: the avatar's)")
        parser.add_argument("--music", default=None, help="music track slug, laid under the voice (default: none)")
        parser.add_argument("--out", default="reel.mp4", help="output MP4; captions and thumbnail go beside it")

    def handle(self, *args, **options):
        script = options["script"]
        if script.startswith("@"):
            script = Path(script[1:]).read_text()
        avatar = AIAvatar.objects.filter(slug=options["avatar"]).first()
        if avatar is None or not avatar.portrait:
            raise CommandError(f"No avatar with a portrait called {options['avatar']!r}.")
        voice = (AIVoice.objects.filter(slug=options["voice"]).first() if options["voice"] else avatar.default_voice)
        if voice is None:
            raise CommandError(f"No voice called {options['voice']!r}.")
        music = MusicTrack.objects.filter(slug=options["music"]).exclude(audio="").first() if options["music"] else None
        if options["music"] and music is None:
            raise CommandError(f"No music track with audio called {options['music']!r}.")
        # Never saved: it holds the options in the fields from which the worker builds a job's request.
        job = VideoGenerationJob(
            avatar=avatar, voice=voice, script=script, speed=options["speed"], aspect_ratio=options["aspect"],
            resolution=options["resolution"], captions_enabled=not options["no_captions"],
            background_color=options["background"] or "", music=music,
        )
        out = Path(options["out"]).resolve()
        workdir = Path(tempfile.mkdtemp(prefix="reel-cli-"))
        try:
            request = engine_requests.generation_request(job, workdir, DjangoStorageArtifactStore())
            with tqdm(total=100, unit="%", bar_format="{desc:<22} {bar} {n_fmt}% {elapsed}") as bar:
                result = run_pipeline(
                    request, workdir=workdir / "work", speech_provider=engine_requests.speech_provider_for(voice),
                    store=DirectoryArtifactStore(workdir / "out"), key_prefix="reel", reporter=_ProgressBar(bar),
                    **engine_requests.render_options(),
                )
                bar.set_description("done", refresh=False)
                bar.update(100 - bar.n)
            out.parent.mkdir(parents=True, exist_ok=True)
            files = workdir / "out" / "reel"
            shutil.copyfile(files / "reel.mp4", out)
            for name, suffix in (("thumbnail.jpg", ".jpg"), ("captions.srt", ".srt"), ("captions.vtt", ".vtt")):
                shutil.copyfile(files / name, out.with_suffix(suffix))
        except GenerationError as error:
            raise CommandError(f"{error.code}: {error.message}") from error
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        r = result.render
        self.stdout.write(self.style.SUCCESS(
            f"{out} — {r.width}x{r.height} {r.fps} fps, {r.duration:.2f} s, {r.size_bytes / 1e6:.1f} MB, "
            f"rendered in {result.total_seconds:.1f} s ({r.duration / result.total_seconds:.1f}x real time)"))
