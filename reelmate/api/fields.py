"""Serializer fields the apps share."""
from __future__ import annotations

from rest_framework import serializers

from reelmate.errors import TooLarge
from reelmate.images import inspect_image
from reelmate.media import inspect_media
from reelmate.models import HEX_COLOR_MESSAGE, HEX_COLOR_PATTERN
from reelmate.uploads import UploadRejected, UploadTooLarge


class _InspectedUploadField(serializers.FileField):
    """A multipart upload that ``inspect`` checks; the validated value is the file, with what
    ``inspect`` says about it attached as ``info_attribute``.

    An oversized file is TooLarge ``file_too_large`` (the request as a whole is refused), anything
    else wrong with it is an ordinary field error.
    """

    info_attribute: str

    @staticmethod
    def inspect(file):
        raise NotImplementedError

    def to_internal_value(self, data):
        file = super().to_internal_value(data)
        try:
            setattr(file, self.info_attribute, self.inspect(file))
        except UploadTooLarge as error:
            raise TooLarge(error.message, code=error.code) from error
        except UploadRejected as error:
            raise serializers.ValidationError(error.message, code=error.code) from error
        return file


class ImageUploadField(_InspectedUploadField):
    """A PNG, JPEG or WebP image (``reelmate.images`` checks), with ``.image_info`` attached."""

    info_attribute = "image_info"
    inspect = staticmethod(inspect_image)


class MediaUploadField(_InspectedUploadField):
    """An image or a video clip (``reelmate.media`` checks), with ``.media_info`` attached."""

    info_attribute = "media_info"
    inspect = staticmethod(inspect_media)


class HexColorField(serializers.RegexField):
    """A ``#RRGGBB`` colour, as the models' ``hex_color`` validator accepts it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid": HEX_COLOR_MESSAGE})
        super().__init__(HEX_COLOR_PATTERN, **kwargs)
