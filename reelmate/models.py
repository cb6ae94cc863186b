"""Small model building blocks shared by the apps."""
from django.core.validators import RegexValidator
from django.db import models

HEX_COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"
HEX_COLOR_MESSAGE = "Use a #RRGGBB colour, e.g. #FF5A1F."
hex_color = RegexValidator(HEX_COLOR_PATTERN, HEX_COLOR_MESSAGE)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AspectRatio(models.TextChoices):
    PORTRAIT = "9:16", "9:16 (Reels, TikTok, Shorts)"
    SQUARE = "1:1", "1:1 (feed)"
    VERTICAL = "4:5", "4:5 (feed portrait)"
    LANDSCAPE = "16:9", "16:9 (YouTube)"
