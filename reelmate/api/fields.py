"""Serializer fields the apps share."""
from __future__ import annotations

from rest_framework import serializers

from reelmate.errors import TooLarge
from reelmate.images import ImageRejected, ImageTooLarge, inspect_image
from reelmate.models import HEX_COLOR_MESSAGE, HEX_COLOR_PATTERN


class ImageUploadField(serializers.FileField):
    """A multipart image upload (``reelmate.images`` checks). The validated value is the file, with
    ``.image_info`` attached.

    An oversized file is TooLarge ``file_too_large`` (the request as a whole is refused), anything
    else wrong with it is an ordinary field error.
    """

    def to_internal_value(self, data):
        file = super().to_internal_value(data)
        try:
            file.image_info = inspect_image(file)
        except ImageTooLarge as error:
            raise TooLarge(error.message, code=error.code) from error
        except ImageRejected as error:
            raise serializers.ValidationError(error.message, code=error.code) from error
        return file


class HexColorField(serializers.RegexField):
    """A ``#RRGGBB`` colour, as the models' ``hex_color`` validator accepts it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid": HEX_COLOR_MESSAGE})
        super().__init__(HEX_COLOR_PATTERN, **kwargs)
