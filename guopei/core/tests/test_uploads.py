"""Uploads are judged by content, limited in size, stored under generated names and served with safe headers."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from PIL import Image

from guopei.core import uploads
from guopei.core.uploads import (
    DOCX,
    FILE_TYPES,
    JPEG,
    MOV,
    MP4,
    PDF,
    PNG,
    WEBM,
    UploadError,
    check_upload,
    detect_type,
    display_name,
    file_response,
    open_image,
    stored_name,
)

ALL = tuple(FILE_TYPES.values())


def jpeg_bytes(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def docx_bytes() -> bytes:
    import docx

    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("典型案例")
    document.save(buffer)
    return buffer.getvalue()


MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
MOV_HEAD = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + b"\x00" * 64
WEBM_HEAD = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm"
HEIC_HEAD = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64


def upload(data: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (jpeg_bytes(), JPEG),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, PNG),
        (b"%PDF-1.4\n%...", PDF),
        (MP4_HEAD, MP4),
        (MOV_HEAD, MOV),
        (WEBM_HEAD, WEBM),
    ],
)
def test_type_is_detected_from_content(data, expected):
    assert detect_type(io.BytesIO(data)) is expected


def test_docx_is_told_from_a_plain_zip_by_its_parts():
    assert detect_type(io.BytesIO(docx_bytes())) is DOCX
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a document")
    assert detect_type(io.BytesIO(buffer.getvalue())) is None


def test_heic_photo_is_not_taken_for_a_video():
    assert detect_type(io.BytesIO(HEIC_HEAD)) is None


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 50, "Windows 程序"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 50, "Linux 程序"),
        (b"#!/bin/sh\nrm -rf /\n", "脚本"),
    ],
)
def test_executable_renamed_jpg_is_refused_as_executable(data, what):
    with pytest.raises(UploadError) as exc:
        check_upload(upload(data, "校园风貌.jpg"), name="校园风貌.jpg", allowed=ALL, max_bytes=10**6)
    assert exc.value.code == "executable"
    assert what in exc.value.message
    assert exc.value.message == uploads.ERR_EXECUTABLE.format(what=what)


def test_extension_is_never_trusted_either_way():
    # A real JPEG named .pdf is a JPEG; refused where only documents are allowed.
    with pytest.raises(UploadError) as exc:
        check_upload(upload(jpeg_bytes(), "报告.pdf"), name="报告.pdf", allowed=[PDF, DOCX], max_bytes=10**6)
    assert exc.value.code == "type_not_allowed"
    assert "JPEG 图片" in exc.value.message
    # And it is accepted as an image, with the true extension in its display name.
    checked = check_upload(upload(jpeg_bytes(), "报告.pdf"), name="报告.pdf", allowed=[JPEG], max_bytes=10**6)
    assert checked.file_type is JPEG
    assert checked.display_name == "报告.jpg"


def test_text_file_with_image_name_is_refused_as_unknown():
    with pytest.raises(UploadError) as exc:
        check_upload(upload(b"hello world", "a.png"), name="a.png", allowed=ALL, max_bytes=10**6)
    assert exc.value.code == "unknown_type"


def test_legacy_office_file_gets_a_clear_message():
    with pytest.raises(UploadError) as exc:
        detect_type(io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100))
    assert exc.value.code == "legacy_office"


def test_empty_file_is_refused():
    with pytest.raises(UploadError) as exc:
        check_upload(upload(b"", "a.jpg"), name="a.jpg", allowed=ALL, max_bytes=10)
    assert exc.value.code == "empty"


def test_size_limit_per_kind():
    video = MP4_HEAD + b"\x00" * 1000
    with pytest.raises(UploadError) as exc:
        check_upload(upload(video, "课堂.mp4"), name="课堂.mp4", allowed=ALL,
                     max_bytes={"image": 10**6, "video": 500, "document": 10**6})
    assert exc.value.code == "too_large"
    assert "视频" in exc.value.message
    checked = check_upload(upload(video, "课堂.mp4"), name="课堂.mp4", allowed=ALL,
                           max_bytes={"image": 10, "video": 10**6, "document": 10})
    assert checked.size == len(video)


def test_size_is_counted_from_the_bytes_not_the_claimed_size():
    data = jpeg_bytes()
    fileobj = io.BytesIO(data)  # no .size attribute: the real count decides
    with pytest.raises(UploadError) as exc:
        check_upload(fileobj, name="x.jpg", allowed=[JPEG], max_bytes=len(data) - 1)
    assert exc.value.code == "too_large"


def test_sha256_and_display_name():
    import hashlib

    data = jpeg_bytes()
    checked = check_upload(upload(data, "../../etc/照片\x00.exe"), name="../../etc/照片\x00.exe", allowed=[JPEG],
                           max_bytes=10**6)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.display_name == "照片.jpg"
    assert display_name("", PDF) == "文件.pdf"
    assert display_name('C:\\Users\\王\\a<b>:c.docx', DOCX) == "a_b__c.docx"


def test_stored_names_are_generated_unique_and_use_the_detected_extension():
    names = {stored_name("summary/140100/materials", JPEG) for _ in range(50)}
    assert len(names) == 50
    for name in names:
        assert re.fullmatch(r"summary/140100/materials/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", name)
    with pytest.raises(ValueError):
        stored_name("../etc", JPEG)
    with pytest.raises(ValueError):
        stored_name("ok", "php?")


def test_open_image_refuses_corrupt_and_oversized_images(monkeypatch):
    with pytest.raises(UploadError) as exc:
        open_image(io.BytesIO(b"\xff\xd8\xff\xe0" + b"\x00" * 100))
    assert exc.value.code == "bad_image"
    monkeypatch.setattr(uploads, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(UploadError) as exc:
        open_image(io.BytesIO(jpeg_bytes((20, 20))))
    assert exc.value.code == "image_too_big"
    image = open_image(io.BytesIO(jpeg_bytes((8, 8))))
    assert image.size == (8, 8)


@pytest.fixture
def stored(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    name = storage.save("f/clip.mp4", ContentFile(bytes(range(256)) * 4))

    class Field:
        pass

    field = Field()
    field.storage = storage
    field.name = name
    return field


def test_file_response_sets_safe_headers(stored):
    request = RequestFactory().get("/")
    response = file_response(request, stored, content_type="video/mp4", filename="课堂 实录.mp4")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Disposition"].startswith("inline; filename*=utf-8''")
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == bytes(range(256)) * 4
    attachment = file_response(request, stored, content_type="video/mp4", filename="a.mp4", as_attachment=True,
                               public=True)
    assert attachment["Content-Disposition"].startswith("attachment")
    assert attachment["Cache-Control"] == "public, max-age=300"
    b"".join(attachment.streaming_content)


@pytest.mark.parametrize(
    ("header", "status", "expected"),
    [
        ("bytes=0-9", 206, bytes(range(10))),
        ("bytes=1020-", 206, bytes(range(252, 256))),
        ("bytes=-3", 206, bytes(range(253, 256))),
        ("bytes=5000-6000", 200, None),
        ("items=1-2", 200, None),
    ],
)
def test_file_response_honours_one_byte_range(stored, header, status, expected):
    request = RequestFactory().get("/", HTTP_RANGE=header)
    response = file_response(request, stored, content_type="video/mp4", filename="a.mp4")
    assert response.status_code == status
    body = b"".join(response.streaming_content)
    if expected is not None:
        assert body == expected
        assert response["Content-Range"].endswith("/1024")
        assert response["Content-Length"] == str(len(expected))
    else:
        assert len(body) == 1024
