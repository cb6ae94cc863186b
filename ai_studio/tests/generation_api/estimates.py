"""What a job is charged before it runs, for the tests' scripts: words over the measured pace of the
`voice` fixture (Piper's English voice), as ``ai_studio.writing.pacing`` has it."""
from ai_studio.writing import pacing

PIPER_ENGLISH = pacing.words_per_second(pacing.PIPER, "en-US")


def words(count: int) -> str:
    return "word " * count


def spoken_seconds(count: int, rate: float = PIPER_ENGLISH) -> float:
    """The estimate of a script of `count` words, to a tenth of a second."""
    return round(count / rate, 1)
