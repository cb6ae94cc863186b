"""Prompt-template scripts: a restricted ``{{name}}`` substitution, and nothing more.

This is deliberately not a template engine. A placeholder is ``{{name}}`` (spaces allowed inside
the braces) where ``name`` starts with a letter and holds letters, digits and underscores; it is
replaced by the value given for a *declared* variable, in a single pass, so a value that itself
contains ``{{...}}`` is never expanded again. There are no attribute lookups, filters, tags or
expressions: ``{{ __class__ }}``, ``{{ user.email }}`` or ``{% if %}`` are plain text to
``render``, and ``check_template`` rejects the brace forms when a template is saved.

Pure Python: no Django, so the generation pipeline and the admin can use it alike.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

NAME_PATTERN = r"[A-Za-z][A-Za-z0-9_]{0,49}"
PLACEHOLDER = re.compile(r"\{\{\s*(" + NAME_PATTERN + r")\s*\}\}")
_ANY_DOUBLE_BRACES = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_VARIABLE_NAME = re.compile(r"^" + NAME_PATTERN + r"$")
_WORD = re.compile(r"\S*[^\W_]\S*")  # a whitespace-separated token with a letter or digit in it

MAX_VARIABLES = 20
DEFAULT_MAX_LENGTH = 200
MAX_VALUE_LENGTH = 1000
MAX_LABEL_LENGTH = 100
SCRIPT_MAX_CHARS = 4096  # what a generation job accepts (VideoGenerationJob.script)
WORDS_PER_MINUTE = 150  # a clear, unhurried voice-over
_VARIABLE_KEYS = {"name", "label", "required", "default", "max_length"}


class TemplateError(Exception):
    """Errors keyed by what they are about; ``errors`` maps a key to human messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{key}: {' '.join(messages)}" for key, messages in errors.items()))
        self.errors = errors

    @property
    def field_errors(self) -> dict:
        """The errors keyed as request fields (for an API's 400 answer)."""
        return self.errors


class TemplateDefinitionError(TemplateError):
    """The template itself is wrong. Keys: ``body`` and/or ``variables``."""


class VariableValuesError(TemplateError):
    """The values given to ``render`` are wrong. Keys: variable names (missing, unknown, too long...)."""

    @property
    def field_errors(self) -> dict:
        return {"variables": self.errors}


class ScriptTooLongError(TemplateError):
    """The rendered script is longer than a video can speak. Key: ``script``."""


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    required: bool = True
    default: str = ""
    max_length: int = DEFAULT_MAX_LENGTH

    def as_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "required": self.required, "default": self.default,
                "max_length": self.max_length}


# --- definitions --------------------------------------------------------------------------------
def parse_variables(raw) -> list[Variable]:
    """Declared variables from their JSON form, validated; raises ``TemplateDefinitionError``.

    Each item: ``{"name", "label"?, "required"? (default true), "default"? (""), "max_length"? (200)}``.
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise TemplateDefinitionError({"variables": ["Must be a list of variable definitions."]})
    if len(raw) > MAX_VARIABLES:
        raise TemplateDefinitionError({"variables": [f"A template can declare at most {MAX_VARIABLES} variables."]})
    problems: list[str] = []
    variables: list[Variable] = []
    for position, item in enumerate(raw, start=1):
        variable = _parse_variable(item, f"Variable {position}", problems)
        if variable is None:
            continue
        if any(existing.name == variable.name for existing in variables):
            problems.append(f"Variable {position}: the name “{variable.name}” is declared twice.")
            continue
        variables.append(variable)
    if problems:
        raise TemplateDefinitionError({"variables": problems})
    return variables


def _parse_variable(item, where: str, problems: list[str]) -> Variable | None:
    if isinstance(item, Variable):
        return item
    if not isinstance(item, dict):
        problems.append(f"{where}: must be an object with at least a name.")
        return None
    before = len(problems)
    unknown = sorted(set(item) - _VARIABLE_KEYS)
    if unknown:
        problems.append(f"{where}: unknown keys {', '.join(unknown)}; allowed: {', '.join(sorted(_VARIABLE_KEYS))}.")
    name = item.get("name")
    if not isinstance(name, str) or not _VARIABLE_NAME.match(name):
        problems.append(f"{where}: the name must start with a letter and use only letters, digits and "
                        f"underscores (at most 50 characters).")
        return None
    where = f"{where} (“{name}”)"
    label = item.get("label") or name.replace("_", " ").capitalize()
    if not isinstance(label, str) or len(label) > MAX_LABEL_LENGTH:
        problems.append(f"{where}: the label must be text of at most {MAX_LABEL_LENGTH} characters.")
    required = item.get("required", True)
    if not isinstance(required, bool):
        problems.append(f"{where}: required must be true or false.")
    max_length = item.get("max_length", DEFAULT_MAX_LENGTH)
    if isinstance(max_length, bool) or not isinstance(max_length, int) or not 1 <= max_length <= MAX_VALUE_LENGTH:
        problems.append(f"{where}: max_length must be a whole number between 1 and {MAX_VALUE_LENGTH}.")
        max_length = MAX_VALUE_LENGTH
    default = item.get("default", "")
    if default is None:
        default = ""
    if not isinstance(default, str):
        problems.append(f"{where}: the default must be text.")
    elif len(default) > max_length:
        problems.append(f"{where}: the default is longer than max_length ({max_length}).")
    if len(problems) > before:
        return None
    return Variable(name=name, label=label, required=required, default=default.strip(), max_length=max_length)


def placeholders(body: str) -> list[str]:
    """The variable names the body uses, each once, in order of first use."""
    return list(dict.fromkeys(match.group(1) for match in PLACEHOLDER.finditer(body)))


def check_template(body: str, variables) -> list[Variable]:
    """Validate a template before it is saved; returns its parsed variables.

    Rejects (``TemplateDefinitionError``) invalid variable definitions, ``{{...}}`` that is not a
    plain placeholder, and placeholders for variables the template does not declare.
    """
    errors: dict[str, list[str]] = {}
    try:
        parsed = parse_variables(variables)
    except TemplateDefinitionError as error:
        errors.update(error.errors)
        parsed = None
    body_problems: list[str] = []
    if not _WORD.search(body or ""):
        body_problems.append("The script has no words.")
    malformed = [match.group(0) for match in _ANY_DOUBLE_BRACES.finditer(body or "")
                 if not PLACEHOLDER.fullmatch(match.group(0))]
    if malformed:
        body_problems.append(
            f"{', '.join(dict.fromkeys(malformed))}: placeholders are {{{{name}}}}, a name made of letters, digits "
            f"and underscores that starts with a letter; nothing else may go between double braces."
        )
    if parsed is not None:
        declared = {variable.name for variable in parsed}
        undeclared = [name for name in placeholders(body or "") if name not in declared]
        if undeclared:
            body_problems.append(f"Uses undeclared variables: {', '.join(undeclared)}. Declare them in variables.")
    if body_problems:
        errors["body"] = body_problems
    if errors:
        raise TemplateDefinitionError(errors)
    return parsed


# --- rendering ----------------------------------------------------------------------------------
def render(body: str, declared_variables, values: Mapping[str, object]) -> str:
    """The body with each declared ``{{name}}`` replaced by its value (or default).

    Values are text (numbers are accepted and written as text), stripped. Raises
    ``VariableValuesError`` naming every missing required, unknown, too-long or non-text variable,
    and ``ScriptTooLongError`` if the result exceeds ``SCRIPT_MAX_CHARS``.
    """
    variables = {variable.name: variable for variable in parse_variables(declared_variables)}
    errors: dict[str, list[str]] = {}
    for name in values:
        if name not in variables:
            declared = ", ".join(variables) or "none"
            errors[str(name)] = [f"Unknown variable; this template declares: {declared}."]
    resolved: dict[str, str] = {}
    for name, variable in variables.items():
        value = values.get(name)
        if isinstance(value, bool) or not (value is None or isinstance(value, (str, int, float))):
            errors[name] = ["Must be text."]
            continue
        text = "" if value is None else str(value).strip()
        if not text:
            text = variable.default
        if not text and variable.required:
            errors[name] = [f"“{variable.label}” is required."]
        elif len(text) > variable.max_length:
            errors[name] = [f"“{variable.label}” is {len(text)} characters long; at most {variable.max_length}."]
        resolved[name] = text
    if errors:
        raise VariableValuesError(errors)
    script = PLACEHOLDER.sub(lambda match: resolved.get(match.group(1), match.group(0)), body)
    script = _tidy(script)
    if len(script) > SCRIPT_MAX_CHARS:
        message = (f"The rendered script is {len(script)} characters; a video script can have at most "
                   f"{SCRIPT_MAX_CHARS}. Shorten the values.")
        raise ScriptTooLongError({"script": [message]})
    return script


def _tidy(script: str) -> str:
    """Collapse the gaps an empty optional variable leaves, keeping line breaks."""
    lines = [re.sub(r"[ \t]{2,}", " ", line).strip() for line in script.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def estimate_duration(text: str, words_per_minute: float = WORDS_PER_MINUTE) -> float:
    """Seconds a voice takes to say ``text`` at ``words_per_minute``, to a tenth of a second."""
    return round(count_words(text) * 60.0 / words_per_minute, 1)
