"""Sample files and shortcuts that build the summary's objects through its services."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from guopei.summary import services

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def jpeg_bytes(size=(64, 48), color=(30, 120, 200), exif_make: str | None = None) -> bytes:
    image = Image.new("RGB", size, color)
    buffer = io.BytesIO()
    if exif_make:
        exif = Image.Exif()
        exif[0x010F] = exif_make  # Make
        exif[0x0110] = "GPS-Model"  # Model
        gps = exif.get_ifd(0x8825)
        gps[1] = "N"
        gps[2] = (37.0, 52.0, 10.0)
        image.save(buffer, "JPEG", exif=exif)
    else:
        image.save(buffer, "JPEG")
    return buffer.getvalue()


def png_bytes(size=(32, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (10, 200, 10, 128)).save(buffer, "PNG")
    return buffer.getvalue()


def mp4_bytes(size: int = 2048) -> bytes:
    return MP4_HEAD + b"\x00" * (size - len(MP4_HEAD))


def docx_bytes() -> bytes:
    import docx

    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("教学设计：乡村小学语文《秋天》")
    document.save(buffer)
    return buffer.getvalue()


def upload_file(data: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def add_material(user, city_code="140100", *, data: bytes | None = None, name="校园.jpg", title="乡村教师培训现场",
                 caption="2015年送教下乡现场", year=2015, county_code=None, school_id=None, now=None):
    return services.material_upload(
        actor=user, city_code=city_code, upload=upload_file(data if data is not None else jpeg_bytes(), name),
        filename=name, title=title, caption=caption, year=year, county_code=county_code, school_id=school_id,
        now=now,
    )


def add_case(user, city_code="140100", *, title="送教下乡的“小店模式”", material_ids=(), now=None):
    return services.case_create(
        actor=user, city_code=city_code, title=title, background="乡村学校师资薄弱，教师外出培训难。",
        highlights="以县为单位组建送教团队，诊断—示范—研课—展示四环节。", effects="覆盖全区乡村学校教师一千余人次。",
        material_ids=material_ids, now=now,
    )


def add_outcome(user, city_code="140100", *, title="《秋天》教学设计", consent=False, teacher_name="",
                teacher_school="", material_id=None, now=None):
    return services.outcome_create(
        actor=user, city_code=city_code, stage="generative", form="lesson_design", title=title, year=2019,
        summary="围绕单元任务设计的三课时教学方案。", material_id=material_id, consent=consent,
        consent_note="2020年7月1日签署书面同意书" if consent else "", teacher_name=teacher_name,
        teacher_school=teacher_school, now=now,
    )


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
