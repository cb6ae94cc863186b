"""Shapes of batches: the request (JSON rows or an uploaded CSV), each row's validation, the batch.

Each row is validated like a generate-video request made of the batch's shared ``settings``, the
row's own override columns (``avatar_id``, ``voice_id``, ``title``...) and its script rendered with
the row's variables (every other column). One serializer validates every row, and catalog and
campaign lookups are made once per distinct id, so 1,000 rows cost a handful of queries.
Errors come back per row and column: ``{"rows": {"17": {"voice_id": ["..."]}}}`` (rows by their
0-based index; in a CSV, row 0 is the line after the header).
"""
from __future__ import annotations

import csv
import io

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ai_studio import templating
from ai_studio.models import GenerationBatch, JobStatus
from ai_studio.serializers.generation import GenerateVideoSerializer, visible_template
from ai_studio.services.batches import MAX_ROWS, NewBatch
from campaigns.serializers import JobCountsSerializer

MAX_CSV_BYTES = 1024 * 1024
MAX_CELL_CHARS = templating.MAX_VALUE_LENGTH
# What a row may override; every other column is a variable of the script.
ROW_OVERRIDES = ("avatar_id", "voice_id", "campaign_id", "title", "aspect_ratio", "resolution", "captions",
                 "speed", "music_id", "layout", "headline", "background")
# What the batch's settings may hold (the row overrides, and options only JSON can express).
SHARED_SETTINGS = (*ROW_OVERRIDES, "caption_style", "end_card", "metadata")


class BatchRowSerializer(GenerateVideoSerializer):
    """A generate-video request whose catalog and campaign lookups are remembered across rows (in the
    shared context): a batch's 1,000 rows usually name one avatar and one voice."""

    def _once(self, name: str, value, lookup):
        remembered = self.context.setdefault("lookups", {})
        if (name, value) not in remembered:
            try:
                remembered[name, value] = (lookup(value), None)
            except serializers.ValidationError as error:
                remembered[name, value] = (None, error)
        found, error = remembered[name, value]
        if error is not None:
            raise error
        return found

    def validate_avatar_id(self, value):
        return self._once("avatar", value, super().validate_avatar_id)

    def validate_voice_id(self, value):
        return self._once("voice", value, super().validate_voice_id)

    def validate_music_id(self, value):
        return self._once("music", value, super().validate_music_id)

    def validate_campaign_id(self, value):
        return self._once("campaign", value, super().validate_campaign_id)


ROWS_DESCRIPTION = (
    f"1-{MAX_ROWS} rows, each an object of column → value: the override columns ({', '.join(ROW_OVERRIDES)}) "
    "replace the shared settings for that row (empty: keep them); every other column is a variable of the script. "
    "Instead of `file`."
)


class BatchCreateSerializer(serializers.Serializer):
    """`POST /api/ai-studio/batches` (JSON, or multipart with the rows as a CSV `file` and `settings` as
    JSON text)."""

    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    template_id = serializers.IntegerField(required=False, help_text="A prompt template whose variables the "
                                                                    "rows fill. Or `script`.")
    script = serializers.CharField(required=False, max_length=templating.SCRIPT_MAX_CHARS, help_text=(
        "A script with `{{variable}}` placeholders the rows fill (every placeholder is required). Or `template_id`."))
    settings = serializers.JSONField(required=False, default=dict, help_text=(
        f"Shared by every row: {', '.join(SHARED_SETTINGS)}, as in generate-video (avatar_id and voice_id are "
        "required here or in every row). In a multipart request: JSON text."))
    rows = serializers.ListField(child=serializers.DictField(), required=False, max_length=MAX_ROWS,
                                 help_text=ROWS_DESCRIPTION)
    file = serializers.FileField(required=False, help_text=(
        f"The rows as CSV (UTF-8, at most {MAX_CSV_BYTES // 1024} KB and {MAX_ROWS} rows): the header names the "
        "columns, as for `rows`."))

    def validate_template_id(self, value):
        return visible_template(self.context["request"].user, value)

    def validate_settings(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Send an object of settings.")
        unknown = sorted(set(value) - set(SHARED_SETTINGS))
        if unknown:
            raise serializers.ValidationError({key: [f"Not a setting; settings are: {', '.join(SHARED_SETTINGS)}."]
                                               for key in unknown})
        return value

    def validate_file(self, upload):
        return parse_csv(upload)

    def validate(self, attrs):
        template, script = attrs.get("template_id"), attrs.get("script")
        if (template is None) == (script is None):
            raise serializers.ValidationError({"template_id": ["Send a template_id or a script, one of the two."]})
        if ("rows" in attrs) == ("file" in attrs):
            raise serializers.ValidationError({"rows": ["Send the rows as JSON `rows` or as a CSV `file`, one of "
                                                        "the two."]})
        rows = attrs.get("rows", attrs.get("file"))
        if not rows:
            raise serializers.ValidationError({"rows": ["Send at least one row."]})
        if template is not None:
            declared = template.variables
        else:
            declared = [{"name": name, "label": name, "max_length": MAX_CELL_CHARS}
                        for name in templating.placeholders(script)]
            try:
                templating.check_template(script, declared)
            except templating.TemplateError as error:
                raise serializers.ValidationError({"script": error.errors.get("body", ["Invalid script."])})
        attrs["job_rows"] = self._rows(rows, attrs["settings"], template.body if template else script, declared)
        return attrs

    def _rows(self, rows: list[dict], shared: dict, body: str, declared) -> list[dict]:
        """Every row's job fields; all rows' errors at once if any row is invalid."""
        row_serializer = BatchRowSerializer(context={"request": self.context["request"], "lookups": {}})
        job_rows, errors = [], {}
        for index, row in enumerate(rows):
            try:
                job_rows.append(self._row(row_serializer, row, shared, body, declared))
            except serializers.ValidationError as error:
                errors[str(index)] = error.detail if isinstance(error.detail, dict) else {
                    "non_field_errors": error.detail}
        if errors:
            raise serializers.ValidationError({"rows": errors})
        return job_rows

    @staticmethod
    def _row(row_serializer: BatchRowSerializer, row: dict, shared: dict, body: str, declared) -> dict:
        bad = {str(key): ["Must be text, a number or a boolean."] for key, value in row.items()
               if not (value is None or isinstance(value, (str, int, float, bool)))}
        if bad:
            raise serializers.ValidationError(bad)
        overrides = {key: value for key, value in row.items() if key in ROW_OVERRIDES and value not in ("", None)}
        variables = {key: value for key, value in row.items() if key not in ROW_OVERRIDES}
        try:
            script = templating.render(body, declared, variables)
        except templating.TemplateError as error:
            raise serializers.ValidationError(error.errors)  # keyed by variable (column), or `script`
        data = {**shared, **overrides, "script": script}
        if "title" in data and isinstance(data["title"], str):  # a title may use the row's variables too
            data["title"] = templating.PLACEHOLDER.sub(
                lambda match: str(variables.get(match.group(1), match.group(0))), data["title"])
        validated = row_serializer.run_validation(data)
        fields = GenerateVideoSerializer.job_fields(validated)
        fields.pop("media")  # batch rows show no campaign media (no scenes)
        fields["template_variables"] = {key: "" if value is None else str(value) for key, value in variables.items()}
        return fields

    def new_batch(self) -> NewBatch:
        data = self.validated_data
        template = data.get("template_id")
        rows = data["job_rows"]
        if template is not None:
            for row in rows:
                row["template"] = template
        return NewBatch(name=data["name"], template=template, script=data.get("script") or "",
                        campaign=rows[0]["campaign"] if all(row["campaign"] == rows[0]["campaign"] for row in rows)
                        else None,
                        settings=data["settings"], source="csv" if "file" in data else "json", rows=rows)


def parse_csv(upload) -> list[dict]:
    """The CSV's rows as dicts by header; refuses what is not small, UTF-8, well-formed CSV."""
    if upload.size > MAX_CSV_BYTES:
        raise serializers.ValidationError(f"The CSV is over {MAX_CSV_BYTES // 1024} KB.")
    raw = upload.read(MAX_CSV_BYTES + 1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise serializers.ValidationError(f"The CSV is not UTF-8 text (byte {error.start}); save it as UTF-8.")
    if "\x00" in text:
        raise serializers.ValidationError("The CSV holds NUL characters: is it really a CSV file?")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header or not any(name.strip() for name in header):
            raise serializers.ValidationError("The CSV needs a header line naming its columns.")
        names = [name.strip() for name in header]
        if "" in names:
            raise serializers.ValidationError(f"Column {names.index('') + 1} of the header has no name.")
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise serializers.ValidationError(f"Columns named twice in the header: {', '.join(duplicates)}.")
        rows = []
        for line in reader:
            if not any(cell.strip() for cell in line):
                continue  # a blank line (often the last one)
            if len(rows) == MAX_ROWS:
                raise serializers.ValidationError(f"The CSV has more than {MAX_ROWS} rows.")
            if len(line) != len(names):
                raise serializers.ValidationError(
                    f"Row {len(rows)} (line {reader.line_num}) has {len(line)} cells; the header has {len(names)}.")
            if any(len(cell) > MAX_CELL_CHARS for cell in line):
                raise serializers.ValidationError(
                    f"Row {len(rows)} (line {reader.line_num}) has a cell over {MAX_CELL_CHARS} characters.")
            rows.append({name: cell.strip() for name, cell in zip(names, line, strict=True)})
    except csv.Error as error:
        raise serializers.ValidationError(f"The CSV could not be read: {error}.")
    if not rows:
        raise serializers.ValidationError("The CSV has a header but no rows.")
    return rows


def request_body(request) -> dict:
    """What identifies a batch request for Idempotency-Key replays: the JSON body, or the form's fields
    and the CSV's content."""
    if request.FILES.get("file") is None:
        return dict(request.data)
    upload = request.FILES["file"]
    upload.seek(0)
    content = upload.read(MAX_CSV_BYTES + 1)
    upload.seek(0)
    return {**{key: request.data.get(key) for key in request.data if key != "file"},
            "file": content.decode("utf-8", errors="replace")}


# --- the batch --------------------------------------------------------------------------------
class GenerationBatchSerializer(serializers.ModelSerializer):
    """A batch with its jobs' counts by status, progress (percent) and estimated finish, read from the
    jobs (`progress` in the context: ``selectors.batches.progress_of``)."""

    template_id = serializers.IntegerField(read_only=True, allow_null=True)
    campaign_id = serializers.IntegerField(read_only=True, allow_null=True)
    counts = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField(help_text="Percent: finished jobs, plus those rendering.")
    estimated_finish_at = serializers.SerializerMethodField(help_text=(
        "From the average time of its completed jobs and the jobs your plan renders at once; null before the "
        "first job completes, and once finished."))
    jobs_url = serializers.SerializerMethodField()

    class Meta:
        model = GenerationBatch
        fields = ("id", "name", "status", "template_id", "script", "campaign_id", "settings", "source",
                  "total_jobs", "counts", "progress", "estimated_finish_at", "created_at", "canceled_at",
                  "finished_at", "jobs_url")
        read_only_fields = fields

    def _progress(self, batch):
        return self.context["progress"][batch.pk]

    @extend_schema_field(JobCountsSerializer)
    def get_counts(self, batch) -> dict:
        counts = self._progress(batch).counts
        return {"total": sum(counts.values()), **{status: counts.get(status, 0) for status in JobStatus.values}}

    def get_progress(self, batch) -> int:
        return self._progress(batch).progress

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_estimated_finish_at(self, batch):
        moment = self._progress(batch).estimated_finish_at
        return serializers.DateTimeField().to_representation(moment) if moment else None

    def get_jobs_url(self, batch) -> str:
        request = self.context.get("request")
        path = f"/api/ai-studio/batches/{batch.pk}/jobs"
        return request.build_absolute_uri(path) if request else path


class RetryFailedSerializer(serializers.Serializer):
    retried = serializers.IntegerField(help_text="How many failed jobs were queued again.")
    batch = GenerationBatchSerializer()

