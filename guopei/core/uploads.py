"""Check uploaded files by what they contain, store them under names we make, and serve them safely.

The extension and the browser's Content-Type are both chosen by the uploader, so neither is trusted: the
type comes from the file's first bytes (its "magic number") and, for Office files, from the zip's own parts
list. An executable renamed ``photo.jpg`` is refused as an executable. The stored name is generated
(random, with the extension of the detected type), so a name can never traverse directories, overwrite
another file or be guessed. Files are served only by views that have checked access first, through
`file_response`, which streams them with a fixed Content-Type, ``X-Content-Type-Options: nosniff``, a
sandboxing Content-Security-Policy and (for video players on phones) byte-range support.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

HEAD_BYTES = 64
CHUNK_BYTES = 64 * 1024
MAX_IMAGE_PIXELS = 60_000_000  # 60 megapixels: above any camera photo, far below a decompression bomb
MAX_OFFICE_ENTRIES = 2000


@dataclass(frozen=True)
class FileType:
    key: str
    kind: str  # "image" | "video" | "document"
    mime: str
    ext: str
    label: str


JPEG = FileType("jpeg", "image", "image/jpeg", "jpg", "JPEG 图片")
PNG = FileType("png", "image", "image/png", "png", "PNG 图片")
GIF = FileType("gif", "image", "image/gif", "gif", "GIF 图片")
WEBP = FileType("webp", "image", "image/webp", "webp", "WebP 图片")
MP4 = FileType("mp4", "video", "video/mp4", "mp4", "MP4 视频")
MOV = FileType("mov", "video", "video/quicktime", "mov", "MOV 视频")
WEBM = FileType("webm", "video", "video/webm", "webm", "WebM 视频")
PDF = FileType("pdf", "document", "application/pdf", "pdf", "PDF 文档")
DOCX = FileType(
    "docx", "document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx",
    "Word 文档（.docx）",
)
FILE_TYPES: dict[str, FileType] = {t.key: t for t in (JPEG, PNG, GIF, WEBP, MP4, MOV, WEBM, PDF, DOCX)}
KIND_LABELS = {"image": "图片", "video": "视频", "document": "文档"}

# ISO base media "major brands" of MP4 files; HEIC/AVIF photos share the container and are not videos.
_MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VP",
               b"dash", b"mmp4", b"3gp4", b"3gp5", b"3gp6", b"3g2a", b"f4v ", b"MSNV", b"XAVC"}
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"pnot"}

# Programs and scripts: named in the refusal so the person knows what they actually picked.
_EXECUTABLE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "Windows 程序"),
    (b"\x7fELF", "Linux 程序"),
    (b"\xfe\xed\xfa\xce", "macOS 程序"),
    (b"\xfe\xed\xfa\xcf", "macOS 程序"),
    (b"\xce\xfa\xed\xfe", "macOS 程序"),
    (b"\xcf\xfa\xed\xfe", "macOS 程序"),
    (b"\xca\xfe\xba\xbe", "macOS/Java 程序"),
    (b"#!", "脚本"),
)

ERR_EMPTY = "文件为空，请重新选择文件。"
ERR_EXECUTABLE = "文件内容是{what}，不论扩展名是什么都不能上传。"
ERR_UNKNOWN_TYPE = "无法识别文件内容的类型（可能只是改了扩展名），此处只接受：{allowed}。"
ERR_TYPE_NOT_ALLOWED = "文件内容是{label}，此处只接受：{allowed}。"
ERR_TOO_LARGE = "文件大小 {size} 超过{kind}的上限 {limit}。"
ERR_BAD_IMAGE = "图片文件已损坏或无法解码，请换一张图片。"
ERR_IMAGE_TOO_BIG = "图片像素过多（超过 {limit} 万像素），已拒绝。"
ERR_OLE_DOC = "文件是旧版 Office 格式（.doc/.xls），请用 Word 另存为 .docx 或 PDF 后上传。"


class UploadError(Exception):
    """A file the user must replace; `code` is stable for tests, the message (Chinese) is shown."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CheckedUpload:
    file_type: FileType
    size: int
    sha256: str
    display_name: str


def human_size(size: int) -> str:
    """Format a byte count the way people read it (1.5 MB)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def _allowed_text(allowed: Iterable[FileType]) -> str:
    return "、".join(t.label for t in allowed)


def _rewind(fileobj: IO[bytes]) -> None:
    fileobj.seek(0)


def _office_type(fileobj: IO[bytes]) -> FileType | None:
    """Tell a .docx from any other zip by its parts list, without decompressing anything."""
    try:
        _rewind(fileobj)
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_OFFICE_ENTRIES:
                return None
            names = {info.filename for info in infos}
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        _rewind(fileobj)
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return DOCX
    return None


def detect_type(fileobj: IO[bytes]) -> FileType | None:
    """Return the file's type judged from its content, or None when it is none we accept.

    Raises UploadError for programs and scripts, so the refusal can say what the file really is.
    """
    _rewind(fileobj)
    head = fileobj.read(HEAD_BYTES)
    _rewind(fileobj)
    if not head:
        raise UploadError("empty", ERR_EMPTY)
    for signature, what in _EXECUTABLE_SIGNATURES:
        if head.startswith(signature):
            raise UploadError("executable", ERR_EXECUTABLE.format(what=what))
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return MOV
        if brand in _MP4_BRANDS:
            return MP4
        return None
    if head[4:8] in _QUICKTIME_ATOMS:
        return MOV
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head:
        return WEBM
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise UploadError("legacy_office", ERR_OLE_DOC)
    if head.startswith(b"PK\x03\x04"):
        return _office_type(fileobj)
    return None


def _chunks(fileobj: IO[bytes]) -> Iterator[bytes]:
    _rewind(fileobj)
    while chunk := fileobj.read(CHUNK_BYTES):
        yield chunk
    _rewind(fileobj)


def display_name(original: str, file_type: FileType) -> str:
    """A name safe to show and to put in Content-Disposition: no path, no control characters, true extension."""
    base = re.split(r"[\\/]", original or "")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r'[<>:"|?*]', "_", stem)[:80].strip() or "文件"
    return f"{stem}.{file_type.ext}"


def check_upload(
    fileobj: IO[bytes],
    *,
    name: str,
    allowed: Iterable[FileType],
    max_bytes: int | Mapping[str, int],
) -> CheckedUpload:
    """Check an uploaded file's size and true type; return its type, size, SHA-256 and a safe display name.

    `max_bytes` is one limit or a limit per kind ("image", "video", "document"). Nothing is stored here.
    """
    allowed = tuple(allowed)
    size_hint = getattr(fileobj, "size", None)
    file_type = detect_type(fileobj)
    if file_type is None:
        raise UploadError("unknown_type", ERR_UNKNOWN_TYPE.format(allowed=_allowed_text(allowed)))
    if file_type not in allowed:
        raise UploadError("type_not_allowed",
                          ERR_TYPE_NOT_ALLOWED.format(label=file_type.label, allowed=_allowed_text(allowed)))
    limit = max_bytes if isinstance(max_bytes, int) else max_bytes[file_type.kind]
    kind_label = KIND_LABELS[file_type.kind]
    if size_hint is not None and size_hint > limit:
        raise UploadError("too_large", ERR_TOO_LARGE.format(size=human_size(size_hint), kind=kind_label,
                                                            limit=human_size(limit)))
    digest = hashlib.sha256()
    size = 0
    for chunk in _chunks(fileobj):
        size += len(chunk)
        if size > limit:
            raise UploadError("too_large", ERR_TOO_LARGE.format(size=f"超过 {human_size(limit)}", kind=kind_label,
                                                                limit=human_size(limit)))
        digest.update(chunk)
    if size == 0:
        raise UploadError("empty", ERR_EMPTY)
    return CheckedUpload(file_type=file_type, size=size, sha256=digest.hexdigest(),
                         display_name=display_name(name, file_type))


def open_image(fileobj: IO[bytes]) -> Any:
    """Open an image with Pillow after checking that it decodes and is not a decompression bomb."""
    from PIL import Image

    _rewind(fileobj)
    try:
        with Image.open(fileobj) as probe:
            if probe.width * probe.height > MAX_IMAGE_PIXELS:
                raise UploadError("image_too_big", ERR_IMAGE_TOO_BIG.format(limit=MAX_IMAGE_PIXELS // 10_000))
            probe.verify()
        _rewind(fileobj)
        image = Image.open(fileobj)
        image.load()
    except UploadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadError("image_too_big", ERR_IMAGE_TOO_BIG.format(limit=MAX_IMAGE_PIXELS // 10_000)) from None
    except Exception:
        raise UploadError("bad_image", ERR_BAD_IMAGE) from None
    finally:
        _rewind(fileobj)
    return image


_SAFE_FOLDER = re.compile(r"^[a-z0-9_\-]+(/[a-z0-9_\-]+)*$")


def stored_name(folder: str, file_type: FileType | str) -> str:
    """A fresh, unguessable storage name under `folder` with the detected type's extension."""
    if not _SAFE_FOLDER.match(folder):
        raise ValueError(f"unsafe storage folder: {folder!r}")
    ext = file_type.ext if isinstance(file_type, FileType) else file_type
    if not re.fullmatch(r"[a-z0-9]{1,5}", ext):
        raise ValueError(f"unsafe extension: {ext!r}")
    return f"{folder}/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{ext}"


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """One `bytes=a-b` range as inclusive (start, end), or None to send the whole file."""
    match = _RANGE.match(header.strip())
    if not match or size == 0:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        length = int(last)
        if length == 0:
            return None
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start > end or start >= size:
        return None
    return start, end


def _read_span(handle: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    try:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


def file_response(
    request: HttpRequest,
    field_file: Any,
    *,
    content_type: str,
    filename: str,
    as_attachment: bool = False,
    public: bool = False,
) -> StreamingHttpResponse:
    """Stream a stored file to a caller whose access has already been checked.

    The Content-Type is the one recorded at upload (never guessed from the name), nosniff stops browsers
    second-guessing it, and a sandboxing policy keeps any active content inert. A single byte range is
    honoured so phone browsers can play and seek videos.
    """
    handle = field_file.storage.open(field_file.name, "rb")
    size = field_file.storage.size(field_file.name)
    span = _parse_range(request.headers.get("Range", ""), size) if request.headers.get("Range") else None
    response: StreamingHttpResponse
    if span is not None:
        start, end = span
        response = StreamingHttpResponse(_read_span(handle, start, end - start + 1), status=206,
                                         content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    else:
        response = FileResponse(handle, content_type=content_type)
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = content_disposition_header(as_attachment, filename) or "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
    response["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    return response
