"""Catalog endpoints: avatars, voices, music and layouts to choose from, and prompt templates.

Avatar, voice and music lists are the same for every user, so their response bodies are cached per
URL and catalog version (see ``selectors.catalog.cached_catalog_page``); staff edits bump the
version. The URL is reduced to the query parameters the list understands (its filters and
pagination, sorted), so made-up parameters (``?x=1``, ``?x=2``...) share one entry instead of
filling the cache. Layouts are the engine's own registry, in code. Templates are per user (system +
public + own) and are not cached.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ai_studio import templating
from ai_studio.models import AIAvatar, AIVoice, Gender, MusicTrack, PromptTemplate, TemplateCategory, VoiceProvider
from ai_studio.selectors import catalog as selectors
from ai_studio.serializers.catalog import (
    AvatarSerializer,
    LayoutSerializer,
    MusicTrackSerializer,
    PromptTemplateInputSerializer,
    PromptTemplateSerializer,
    RenderedScriptSerializer,
    TemplateRenderInputSerializer,
    VoiceSerializer,
)
from ai_studio.services import templates as template_services
from reelmate.api.viewsets import OwnerScopedViewSet
from reelmate.errors import PermissionDenied
from reelmate.queries import json_list_contains


# --- avatars and voices -----------------------------------------------------------------------
class AvatarFilter(django_filters.FilterSet):
    gender = django_filters.ChoiceFilter(choices=Gender.choices)
    style = django_filters.CharFilter(lookup_expr="iexact")
    tag = django_filters.CharFilter(method="filter_tag")
    is_premium = django_filters.BooleanFilter()

    class Meta:
        model = AIAvatar
        fields = ["gender", "style", "is_premium"]

    def filter_tag(self, queryset, name, value):
        return json_list_contains(queryset, "tags", value.strip().lower())


class VoiceFilter(django_filters.FilterSet):
    gender = django_filters.ChoiceFilter(choices=Gender.choices)
    style = django_filters.CharFilter(lookup_expr="iexact")
    provider = django_filters.ChoiceFilter(choices=VoiceProvider.choices)
    language = django_filters.CharFilter(method="filter_language",
                                         help_text="A BCP-47 tag: `en` matches en-US and en-GB, `en-GB` only en-GB.")
    is_premium = django_filters.BooleanFilter()

    class Meta:
        model = AIVoice
        fields = ["gender", "style", "provider", "is_premium"]

    def filter_language(self, queryset, name, value):
        return selectors.speaking(queryset, value)


class CachedCatalogViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Active catalog items for everyone, the list served from the cache (same body for every user)."""

    catalog_kind: str
    filter_backends = [DjangoFilterBackend]

    def list(self, request):
        url = self._canonical_url(request.build_absolute_uri())
        return Response(selectors.cached_catalog_page(self.catalog_kind, url, lambda: self._list_body(request)))

    def _list_body(self, request) -> dict:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        body = self.get_paginated_response(self.get_serializer(page, many=True).data).data
        # The body is shared by every URL with the same canonical form: its links must not echo the rest.
        return {**body, "next": self._canonical_url(body["next"]), "previous": self._canonical_url(body["previous"])}

    def _canonical_url(self, url: str | None) -> str | None:
        """``url`` with only the query parameters this list reads (filters, page, page size), sorted."""
        if url is None:
            return None
        known = {*self.filterset_class.base_filters, self.paginator.page_query_param,
                 self.paginator.page_size_query_param}
        parts = urlsplit(url)
        query = sorted((name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True)
                       if name in known)
        return urlunsplit(parts._replace(query=urlencode(query), fragment=""))


@extend_schema_view(list=extend_schema(summary="Active avatars", description="With presigned portrait and "
                                       "thumbnail URLs. Cached for a few minutes; staff changes show at once."),
                    retrieve=extend_schema(summary="An active avatar"))
class AvatarViewSet(CachedCatalogViewSet):
    catalog_kind = "avatars"
    serializer_class = AvatarSerializer
    filterset_class = AvatarFilter

    def get_queryset(self):
        return selectors.active_avatars()


@extend_schema_view(list=extend_schema(summary="Active voices", description="Voices whose provider works on this "
                                       "installation, with a presigned sample URL once the sample exists."),
                    retrieve=extend_schema(summary="An active voice"))
class VoiceViewSet(CachedCatalogViewSet):
    catalog_kind = "voices"
    serializer_class = VoiceSerializer
    filterset_class = VoiceFilter

    def get_queryset(self):
        return selectors.active_voices()


class MusicFilter(django_filters.FilterSet):
    mood = django_filters.CharFilter(lookup_expr="iexact", help_text="e.g. upbeat, calm, corporate")

    class Meta:
        model = MusicTrack
        fields = ["mood"]


@extend_schema_view(list=extend_schema(summary="Active music tracks", description="Music beds to lay under a reel "
                                       "(`music_id` in the generation request): mood, length, licence and credit, "
                                       "and an absolute presigned `preview_url` to listen first. Cached like the "
                                       "avatars and voices."),
                    retrieve=extend_schema(summary="An active music track"))
class MusicViewSet(CachedCatalogViewSet):
    catalog_kind = "music"
    serializer_class = MusicTrackSerializer
    filterset_class = MusicFilter

    def get_queryset(self):
        return selectors.active_music()


@extend_schema_view(list=extend_schema(
    summary="Layouts a reel can have",
    description="The looks the renderer can give a reel: `name` is what a generation request's `layout` takes. "
                "A layout that `needs_media` shows the campaign's pictures and clips; leaving `layout` blank "
                "gets the default for the aspect ratio (`default_for`).",
))
class LayoutViewSet(viewsets.GenericViewSet):
    serializer_class = LayoutSerializer
    filter_backends = []  # three items from code: nothing to filter, search or order

    def list(self, request):
        page = self.paginate_queryset(selectors.layout_choices())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


# --- prompt templates -------------------------------------------------------------------------
class PromptTemplateFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(choices=TemplateCategory.choices)
    source = django_filters.ChoiceFilter(
        choices=[("mine", "mine"), ("system", "system"), ("public", "public")], method="filter_source",
        help_text="mine: your own; system: curated by ReelMate; public: shared by other users.",
    )

    class Meta:
        model = PromptTemplate
        fields = ["category"]

    def filter_source(self, queryset, name, value):
        user = self.request.user
        if value == "mine":
            return queryset.filter(owner=user)
        if value == "system":
            return queryset.filter(owner__isnull=True)
        return queryset.filter(is_public=True, owner__isnull=False).exclude(owner=user)


TEMPLATE_WRITE_ERRORS = {403: OpenApiResponse(description="`template_read_only`: a system or another user's "
                                                          "public template")}


@extend_schema_view(
    list=extend_schema(summary="Templates you can use", description="System templates, public templates of "
                       "other users and your own. Filter by `category` and `source`; `search` name and description."),
    retrieve=extend_schema(summary="A template you can use"),
    create=extend_schema(summary="Create your own template", request=PromptTemplateInputSerializer,
                         responses={201: PromptTemplateSerializer}),
    update=extend_schema(summary="Replace your template", request=PromptTemplateInputSerializer,
                         responses={200: PromptTemplateSerializer, **TEMPLATE_WRITE_ERRORS}),
    partial_update=extend_schema(summary="Change your template", request=PromptTemplateInputSerializer,
                                 responses={200: PromptTemplateSerializer, **TEMPLATE_WRITE_ERRORS}),
    destroy=extend_schema(summary="Delete your template", description="Videos made from it keep their script.",
                          responses={204: None, **TEMPLATE_WRITE_ERRORS}),
)
class PromptTemplateViewSet(OwnerScopedViewSet):
    """Writes reach only the user's own templates (owner-scoped queryset); reads and rendering reach
    every template the user can see (``templates_visible_to``). Another user's private template is
    404 for both; a visible template that is not yours is 403 ``template_read_only`` on writes."""

    serializer_class = PromptTemplateSerializer
    filterset_class = PromptTemplateFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "category", "usage_count", "created_at"]
    ordering = ["category", "name"]

    def get_base_queryset(self):
        return PromptTemplate.objects.all()

    def list(self, request):
        queryset = self.filter_queryset(selectors.templates_visible_to(request.user))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self._visible_template(pk)).data)

    def create(self, request):
        serializer = PromptTemplateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        template = template_services.create_template(owner=request.user, **serializer.validated_data)
        return Response(self.get_serializer(template).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        return self._update(request, pk, partial=False)

    def partial_update(self, request, pk=None):
        return self._update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        template_services.delete_template(self._own_template(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Render a template's script", request=TemplateRenderInputSerializer,
                   responses={200: RenderedScriptSerializer,
                              400: OpenApiResponse(description="`fields.variables` names each missing, unknown "
                                                               "or too long variable")})
    @action(detail=True, methods=["post"], throttle_scope=None)  # a read sent as POST: not a write to limit
    def render(self, request, pk=None):
        """The script with the given values, its word count and an estimate of its spoken length.

        A preview: it does not count as a use of the template (generating a video does)."""
        template = self._visible_template(pk)
        serializer = TemplateRenderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            rendered = template_services.render_template(template, serializer.validated_data["variables"])
        except templating.TemplateError as error:
            raise exceptions.ValidationError(error.field_errors) from error
        return Response(RenderedScriptSerializer({
            "script": rendered.script,
            "word_count": rendered.word_count,
            "estimated_duration_seconds": rendered.estimated_duration_seconds,
            "target_duration_seconds": template.target_duration_seconds,
        }).data)

    @extend_schema(summary="Copy a template into your own", request=None, responses={201: PromptTemplateSerializer})
    @action(detail=True, methods=["post"])
    def duplicate(self, request, pk=None):
        """A private copy you can edit, e.g. of a system template."""
        copy = template_services.duplicate_template(self._visible_template(pk), owner=request.user)
        return Response(self.get_serializer(copy).data, status=status.HTTP_201_CREATED)

    def _update(self, request, pk, *, partial: bool) -> Response:
        template = self._own_template(pk)
        serializer = PromptTemplateInputSerializer(template, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        template = template_services.update_template(template, **serializer.validated_data)
        return Response(self.get_serializer(template).data)

    def _visible_template(self, pk) -> PromptTemplate:
        template = selectors.get_visible_template(self.request.user, pk)
        if template is None:
            raise exceptions.NotFound()
        return template

    def _own_template(self, pk) -> PromptTemplate:
        template = self.get_queryset().filter(pk=pk).first() if str(pk).isdigit() else None
        if template is not None:
            return template
        if self._visible_template(pk):  # raises 404 for what the user cannot even see
            raise PermissionDenied("This template is read-only: duplicate it to make your own editable copy.",
                                   code="template_read_only")
