"""The video generation engine: a plain Python package (no Django, no Celery).

Stages, one module each, behind small interfaces:
    speech/      text -> WAV + per-word timings       (SpeechProvider)
    captions.py  word timings -> cues -> SRT / VTT / ASS
    render.py    portrait + audio + captions -> H.264/AAC MP4 + JPEG thumbnail (ffmpeg)
    artifacts.py where the results go (an ArtifactStore: Django storage at the edge)
    pipeline.py  runs the stages in order, reporting progress and checking for cancellation

Django models and Celery tasks live at the edges (ai_studio.services / ai_studio.tasks) and
translate between database rows and the plain dataclasses in ``types``.
"""
