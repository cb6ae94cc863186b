"""Writes to prompt templates: the user's own (and staff's system ones), rendering and usage."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import F

from ai_studio import templating
from ai_studio.models import PromptTemplate
from reelmate.errors import Invalid

EDITABLE_FIELDS = ("name", "category", "description", "body", "variables", "tone", "target_duration_seconds",
                   "is_public")


@dataclass(frozen=True)
class RenderedScript:
    script: str
    word_count: int
    estimated_duration_seconds: float


def create_template(*, owner, **fields) -> PromptTemplate:
    """A template owned by ``owner`` (None: a system template, for staff tools and the seed)."""
    template = PromptTemplate(owner=owner)
    return _apply_and_save(template, fields)


def update_template(template: PromptTemplate, **fields) -> PromptTemplate:
    return _apply_and_save(template, fields)


def delete_template(template: PromptTemplate) -> None:
    """Delete a template; jobs made from it keep their script and variables (their template becomes null)."""
    template.delete()


def duplicate_template(template: PromptTemplate, *, owner) -> PromptTemplate:
    """A private copy of ``template`` for ``owner`` (None: a system copy), with its usage count at zero."""
    fields = {name: getattr(template, name) for name in EDITABLE_FIELDS}
    fields.update(name=_copy_name(template.name), is_public=False)
    return create_template(owner=owner, **fields)


def render_template(template: PromptTemplate, values: Mapping[str, object]) -> RenderedScript:
    """The template's script for these values; raises ``templating.TemplateError`` subclasses."""
    script = templating.render(template.body, template.variables, values)
    return RenderedScript(script=script, word_count=templating.count_words(script),
                          estimated_duration_seconds=templating.estimate_duration(script))


def record_template_use(template: PromptTemplate) -> None:
    """Count one use (a video generated from it). Atomic in the database, so concurrent uses all count."""
    PromptTemplate.objects.filter(pk=template.pk).update(usage_count=F("usage_count") + 1)


def _apply_and_save(template: PromptTemplate, fields: dict) -> PromptTemplate:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(template, name, value)
    # Stored in their normalised form (defaults filled in), so readers never re-derive them.
    try:
        variables = templating.check_template(template.body, template.variables)
    except templating.TemplateDefinitionError as error:
        raise Invalid(fields=error.errors) from error
    template.variables = [variable.as_dict() for variable in variables]
    template.full_clean()
    template.save()
    return template


def _copy_name(name: str) -> str:
    suffix = " (copy)"
    max_length = PromptTemplate._meta.get_field("name").max_length
    return name[: max_length - len(suffix)] + suffix
