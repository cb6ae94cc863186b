"""Small model building blocks shared by the apps."""
from django.db import models


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
