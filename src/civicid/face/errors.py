"""Typed errors of the face engine. Codes are part of the API and never change meaning."""

from __future__ import annotations

from civicid.errors import CivicIDError


class ImageError(CivicIDError):
    code = "image.invalid"
    status = 422
    default_message = "The image could not be used."


class UnsupportedFormat(ImageError):
    code = "image.unsupported_format"
    status = 415
    default_message = "Only JPEG, PNG and WebP images are accepted."


class ImageTooLarge(ImageError):
    code = "image.too_large"
    status = 413
    default_message = "The image is too large."


class ImageTooSmall(ImageError):
    code = "image.too_small"
    default_message = "The image is too small to contain a usable face."


class CorruptImage(ImageError):
    code = "image.corrupt"
    default_message = "The image data is corrupt or truncated."


class EmptyImage(ImageError):
    code = "image.empty"
    default_message = "The image is empty."


class FaceError(CivicIDError):
    code = "face.invalid"
    status = 422
    default_message = "The face could not be used."


class FaceNotFound(FaceError):
    code = "face.not_found"
    default_message = "No face was found in the image."


class MultipleFaces(FaceError):
    code = "face.multiple"
    default_message = "More than one face was found; a probe needs exactly one."


class ModelUnavailable(CivicIDError):
    code = "face.model_unavailable"
    status = 503
    default_message = "The face model files could not be loaded."


class AnimatedImage(UnsupportedFormat):
    code = "image.animated"
    default_message = "Animated images are not accepted; send a single still photo."


class ImageUnreadable(ImageError):
    code = "image.unreadable"
    default_message = "The image file could not be read."
