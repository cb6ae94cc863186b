"""The video generation engine: a plain Python package (no Django, no Celery).

Stages, one module each, behind small interfaces:
    speech/      text -> WAV + per-word timings, and per-phoneme timings where the engine
                 has them (SpeechProvider; speech/phonemizer.py derives them from words;
                 speech/__init__ lists the package's modules)
    captions.py  word timings -> cues -> SRT / VTT / ASS
    soundtrack.py the voice (+ a music bed, + a tail) -> the reel's audio at -14 LUFS, true peak
                 under -1 dBTP once encoded; measured with lufs.py (BS.1770-4), shaped with
                 dynamics.py (leveler, limiter and ducking gain curves, computed offline)
    visemes.py   phoneme timings -> mouth shapes -> one shape per video frame
    render.py    a RenderSpec (render_spec.py: portrait or rig + audio + captions + layout,
                 headline, end card, the scenes' media) -> H.264/AAC MP4 + JPEG thumbnail
                 (ffmpeg), built from layout.py (the layouts, safe zones and where things go),
                 looks.py (each layout's scene), stills.py and lettering.py (the pictures that
                 do not move, and text), media.py (scenes' stills and clips), scene.py (layers
                 and moving windows -> filter graph), lipsync.py (rigged avatars) and
                 mouth_flap.py (plain portraits: the mouth follows the loudness)
    rig.py       the avatar rig format: base portrait + a sprite per mouth shape and eyelid state
    artifacts.py where the results go (an ArtifactStore: Django storage at the edge)
    pipeline.py  runs the stages in order, reporting progress and checking for cancellation

Beneath them: ``types`` (the plain data passed between stages; it imports nothing of the
engine), ``errors`` (GenerationError), ``ffmpeg`` and ``loudness``. Dependencies run one way:
no module imports one that imports it back (ai_studio/tests/generation/test_dependencies.py).

Django models and Celery tasks live at the edges (ai_studio.services / ai_studio.tasks) and
translate between database rows and the plain dataclasses in ``types``.
"""
