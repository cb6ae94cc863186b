"""Untrusted image uploads: what they really are, whether we accept them, and their thumbnails.

The type is sniffed from the bytes with Pillow (never from the file name or the client's
Content-Type); only PNG, JPEG and WebP pass. A file is rejected when it is larger than
``settings.MAX_IMAGE_UPLOAD_BYTES``, has more pixels than ``settings.MAX_IMAGE_PIXELS`` (a
decompression bomb: a few kilobytes that would expand into gigabytes) or does not fully decode.

The same checks serve the admin (``validate_image_upload`` → a form field error) and the API
(``reelmate.api.fields.ImageUploadField`` → a field error, or ``file_too_large`` for an oversized file).
"""
from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from reelmate.uploads import UploadRejected, UploadTooLarge

ALLOWED_FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "WEBP": ("webp", "image/webp")}
THUMBNAIL_MAX_SIDE = 256
NOT_AN_ACCEPTED_IMAGE = "The file is not a valid PNG, JPEG or WebP image."


class ImageRejected(UploadRejected):
    """The upload is not an image we accept; ``message`` says why, for the person who sent it."""

    code = "invalid_image"


class ImageTooLarge(ImageRejected, UploadTooLarge):
    code = UploadTooLarge.code


class NotAnImage(ImageRejected):
    """Pillow does not recognise the bytes as an image of any kind (callers may try other kinds)."""


@dataclass(frozen=True)
class ImageInfo:
    format: str  # "PNG" | "JPEG" | "WEBP", as sniffed from the content
    width: int
    height: int

    @property
    def extension(self) -> str:
        return ALLOWED_FORMATS[self.format][0]

    @property
    def content_type(self) -> str:
        return ALLOWED_FORMATS[self.format][1]

    def storage_name(self) -> str:
        """A fresh name for storing the file: random (the client's name is never reused), right extension."""
        return f"{uuid.uuid4().hex}.{self.extension}"


def inspect_image(file) -> ImageInfo:
    """Check an uploaded file (any file-like object with ``size`` or seekable) and describe it.

    Raises ``ImageTooLarge`` or ``ImageRejected``. Leaves the file positioned at its start.
    """
    max_bytes = settings.MAX_IMAGE_UPLOAD_BYTES
    size = _size_of(file)
    if size > max_bytes:
        raise ImageTooLarge(f"The image is {size:,} bytes; the limit is {max_bytes:,} bytes.")
    if size == 0:
        raise ImageRejected("The file is empty.")
    try:
        with warnings.catch_warnings():
            # Pillow only *warns* between MAX_IMAGE_PIXELS and twice that; treat it as the error it is.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            info = _decode(file)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageRejected(_too_many_pixels_message()) from error
    except UnidentifiedImageError as error:
        raise NotAnImage(NOT_AN_ACCEPTED_IMAGE) from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        # Pillow reports truncated and corrupt data with any of these.
        raise ImageRejected(NOT_AN_ACCEPTED_IMAGE) from error
    finally:
        file.seek(0)
    return info


def _decode(file) -> ImageInfo:
    file.seek(0)
    with Image.open(file) as image:
        if image.format not in ALLOWED_FORMATS:
            raise ImageRejected(f"{image.format or 'This'} images are not accepted; use PNG, JPEG or WebP.")
        width, height = image.size
        # Checked from the header, before a single pixel is decompressed.
        if width * height > settings.MAX_IMAGE_PIXELS:
            raise ImageRejected(_too_many_pixels_message(width, height))
        image.verify()  # structure and checksums
    file.seek(0)
    with Image.open(file) as image:
        image.load()  # every pixel actually decodes (verify() does not catch truncated data)
        return ImageInfo(format=image.format, width=width, height=height)


def _too_many_pixels_message(width: int | None = None, height: int | None = None) -> str:
    limit = f"{settings.MAX_IMAGE_PIXELS:,} pixels"
    if width is None:
        return f"The image has more than {limit}."
    return f"The image is {width}x{height} pixels; the limit is {limit}."


def _size_of(file) -> int:
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, io.SEEK_END)
        size = file.tell()
        file.seek(0)
    return size


def make_thumbnail(file, *, max_side: int = THUMBNAIL_MAX_SIDE) -> ContentFile:
    """A JPEG no larger than ``max_side`` on either side, from an image ``inspect_image`` accepted."""
    file.seek(0)
    with Image.open(file) as image:
        image = ImageOps.exif_transpose(image)
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        if image.mode in ("RGBA", "LA", "P"):
            rgba = image.convert("RGBA")
            flattened = Image.new("RGB", rgba.size, (255, 255, 255))
            flattened.paste(rgba, mask=rgba.getchannel("A"))
            image = flattened
        else:
            image = image.convert("RGB")
        output = io.BytesIO()
        image.save(output, "JPEG", quality=85, optimize=True)
    file.seek(0)
    return ContentFile(output.getvalue(), name=f"{uuid.uuid4().hex}.jpg")


# --- Django forms (admin) ---------------------------------------------------------------------
def validate_image_upload(file) -> ImageInfo:
    """For form ``clean_<field>`` methods: the same checks, reported as a field error."""
    try:
        return inspect_image(file)
    except ImageRejected as error:
        raise DjangoValidationError(error.message, code=error.code) from error
