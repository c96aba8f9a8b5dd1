"""Typed errors of video frame sampling. Codes are part of the API and never change meaning."""

from __future__ import annotations

from civicid.errors import CivicIDError


class VideoError(CivicIDError):
    code = "video.invalid"
    status = 422
    default_message = "The video could not be used."


class VideoUnreadable(VideoError):
    code = "video.unreadable"
    default_message = "The video could not be read: the file is missing, corrupt or not a video."


class VideoEmpty(VideoError):
    code = "video.empty"
    default_message = "The video contains no frames."


class VideoTooLarge(VideoError):
    code = "video.too_large"
    status = 413
    default_message = "The video is too large."
