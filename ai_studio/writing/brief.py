"""The campaign brief as plain data, and the names a script must keep in every language."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

# A brand-like word: a capital after its first letter (ReelMate, iPhone, YouTube), or letters and
# digits mixed (X100, 5G). Ordinary words, even capitalised at a sentence start, are neither.
_BRAND_LIKE = re.compile(r"\b[A-Za-z0-9]*(?:[a-z][A-Z]|[A-Za-z][0-9]|[0-9][A-Za-z])[A-Za-z0-9]*\b")


@dataclass(frozen=True)
class Brief:
    """What a script is written from: the campaign's fields, as the writer sees them."""

    campaign_name: str = ""
    brand_name: str = ""
    product_name: str = ""
    product_description: str = ""
    key_benefit: str = ""
    target_audience: str = ""
    objective: str = ""
    platforms: list[str] = field(default_factory=list)
    call_to_action: str = ""
    brand_voice: str = ""

    def as_data(self) -> dict:
        """The fields that say something, for the model's data message."""
        return {name: value for name, value in asdict(self).items() if value}

    @property
    def names(self) -> list[str]:
        """The brand and product names, each once: every script and translation must keep them as written."""
        return list(dict.fromkeys(name.strip() for name in (self.brand_name, self.product_name) if name.strip()))


def detect_brand_names(text: str) -> list[str]:
    """Brand-like words in ``text`` (see ``_BRAND_LIKE``), each once, in order."""
    return list(dict.fromkeys(match.group(0) for match in _BRAND_LIKE.finditer(text)))


def names_to_keep(text: str, given: list[str]) -> list[str]:
    """The names a translation of ``text`` must keep: those given that it contains, and those detected
    (unless part of a given one: "TrailFlex" in "TrailFlex 2")."""
    found = list(dict.fromkeys(name for name in given if name and name in text))
    return found + [name for name in detect_brand_names(text)
                    if not any(name in kept for kept in found)]
