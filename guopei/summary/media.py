"""Pictures and video posters for the summary's materials: EXIF removed, thumbnails made with Pillow.

Photos from phones carry EXIF: the camera, the time and often the GPS position of a school or a home. The
stored picture is re-encoded from its pixels, so none of that is kept (the orientation is applied first, so
the picture still stands the right way up). A video's poster frame needs a decoder: ffmpeg is used when it
is on the PATH at run time; without it there is no poster and the pages say so.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from typing import IO, Any

from PIL import Image, ImageOps

from guopei.core.uploads import GIF, JPEG, PNG, WEBP, FileType, open_image

THUMB_SIZE = (480, 480)
POSTER_WIDTH = 480
FFMPEG_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class ProcessedImage:
    content: bytes
    thumbnail: bytes
    width: int
    height: int


def _rgb(image: Any) -> Any:
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def process_image(fileobj: IO[bytes], file_type: FileType) -> ProcessedImage:
    """Re-encode a checked picture without its metadata and make a JPEG thumbnail."""
    image = open_image(fileobj)
    icc = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image)
    upright.info = {}
    out = io.BytesIO()
    extra: dict[str, Any] = {"icc_profile": icc} if icc else {}
    if file_type is JPEG:
        _rgb(upright).save(out, "JPEG", quality=92, optimize=True, **extra)
    elif file_type is PNG:
        upright.save(out, "PNG", optimize=True, **extra)
    elif file_type is WEBP:
        upright.save(out, "WEBP", quality=90, **extra)
    elif file_type is GIF:
        upright.save(out, "GIF")
    else:  # only image types reach here
        raise ValueError(f"not an image type: {file_type.key}")
    thumb = _rgb(upright.copy())
    thumb.thumbnail(THUMB_SIZE)
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, "JPEG", quality=82, optimize=True)
    return ProcessedImage(out.getvalue(), thumb_out.getvalue(), upright.width, upright.height)


def decoder_available() -> bool:
    """Whether a video decoder (ffmpeg) is on the PATH of this process now."""
    return shutil.which("ffmpeg") is not None


def video_poster(fileobj: IO[bytes]) -> bytes | None:
    """One frame near the start of the video as a JPEG, or None when no decoder is available or it fails."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        source = f"{folder}/source"
        target = f"{folder}/poster.jpg"
        fileobj.seek(0)
        with open(source, "wb") as handle:
            shutil.copyfileobj(fileobj, handle)
        fileobj.seek(0)
        # One second in skips a black first frame; a clip shorter than that falls back to its first frame.
        for offset in ("1", "0"):
            try:
                subprocess.run(  # noqa: S603 - fixed arguments, no shell, paths we created
                    [ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-ss", offset, "-i", source, "-frames:v", "1",
                     "-vf", f"scale={POSTER_WIDTH}:-2", target],
                    check=True, timeout=FFMPEG_TIMEOUT_SECONDS, capture_output=True,
                )
                with open(target, "rb") as handle:
                    data = handle.read()
            except (subprocess.SubprocessError, OSError):
                continue
            if data:
                return data
    return None
