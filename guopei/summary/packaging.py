"""Build the recommendation package for the Ministry (SUMMARY-2): a zip of the selected cases, outcomes and
materials, with a manifest spreadsheet listing every file's path, type, city, title, caption, size and SHA-256.

Each case and outcome is written out as a Word document (the Ministry's offices work in Word); the files
linked to them are copied in as stored. Every file's hash is computed from the bytes written into the zip and
compared with the hash recorded at upload, so a damaged or altered file stops the job instead of being sent.
"""

from __future__ import annotations

import hashlib
import io
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from guopei.core.jobs import JobError
from guopei.core.spreadsheets import write_xlsx
from guopei.core.uploads import stored_name

from .models import Material, RecommendationPackage, TraineeOutcome, TypicalCase

MANIFEST_NAME = "清单.xlsx"
MANIFEST_HEADERS = ["压缩包内文件名", "类型", "地市", "标题", "说明", "大小（字节）", "SHA-256"]
CHUNK = 1024 * 1024

ERR_FILE_MISSING = "素材“{title}”的文件已不存在，无法打包；请核对后重新选择。"
ERR_FILE_CHANGED = "素材“{title}”的文件与上传时的校验值不一致，已停止打包，请联系系统管理员。"

KIND_TYPE: dict[str, str] = {Material.Kind.IMAGE: "图片", Material.Kind.VIDEO: "视频", Material.Kind.DOCUMENT: "文档"}


@dataclass
class Entry:
    path: str
    type: str
    city: str
    title: str
    caption: str
    size: int
    sha256: str

    def row(self) -> list[Any]:
        return [self.path, self.type, self.city, self.title, self.caption, self.size, self.sha256]


def safe_part(text: str, limit: int = 40) -> str:
    """A path component safe on Windows and zip readers: no separators, reserved or control characters."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", text or "").strip(" .")
    return cleaned[:limit] or "未命名"


def _docx(title: str, lines: list[tuple[str, str]]) -> bytes:
    import docx
    from docx.oxml.ns import qn

    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.name = "宋体"
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    document.add_heading(title, level=1)
    for label, text in lines:
        if not text:
            continue
        document.add_heading(label, level=2)
        for paragraph in text.splitlines():
            if paragraph.strip():
                document.add_paragraph(paragraph.strip())
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def case_document(case: TypicalCase) -> bytes:
    materials = "\n".join(f"{m.title}（{m.get_kind_display()}，{m.year}年）" for m in case.materials.all())
    return _docx(case.title, [
        ("地区与单位", case.place),
        ("项目", case.project_name),
        ("背景", case.background),
        ("价值、特色与创新", case.highlights),
        ("成效", case.effects),
        ("关联素材", materials),
    ])


def outcome_document(outcome: TraineeOutcome) -> bytes:
    return _docx(outcome.title, [
        ("成果类型", f"{outcome.get_stage_display()} · {outcome.get_form_display()}"),
        ("年份", f"{outcome.year}年"),
        ("地区与单位", outcome.place),
        ("项目", outcome.project_name),
        # Only with the teacher's recorded consent (SUMMARY-1).
        ("作者", outcome.public_teacher),
        ("内容简介", outcome.summary),
    ])


class _Zip:
    def __init__(self, handle: IO[bytes]) -> None:
        self.archive = zipfile.ZipFile(handle, "w", allowZip64=True)
        self.entries: list[Entry] = []
        self.paths: set[str] = set()

    def _unique(self, path: str) -> str:
        if path not in self.paths:
            self.paths.add(path)
            return path
        stem, dot, ext = path.rpartition(".")
        n = 2
        while f"{stem}-{n}{dot}{ext}" in self.paths:
            n += 1
        path = f"{stem}-{n}{dot}{ext}"
        self.paths.add(path)
        return path

    def add_bytes(self, path: str, data: bytes, *, type: str, city: str, title: str, caption: str) -> None:
        path = self._unique(path)
        self.archive.writestr(zipfile.ZipInfo(path, date_time=timezone.localtime().timetuple()[:6]), data,
                              compress_type=zipfile.ZIP_DEFLATED)
        self.entries.append(Entry(path, type, city, title, caption, len(data), hashlib.sha256(data).hexdigest()))

    def add_material(self, path: str, material: Material) -> None:
        path = self._unique(path)
        if not material.file.name or not default_storage.exists(material.file.name):
            raise JobError(ERR_FILE_MISSING.format(title=material.title))
        digest = hashlib.sha256()
        size = 0
        info = zipfile.ZipInfo(path, date_time=timezone.localtime().timetuple()[:6])
        # Pictures and videos are already compressed; documents shrink a little.
        info.compress_type = zipfile.ZIP_DEFLATED if material.kind == Material.Kind.DOCUMENT else zipfile.ZIP_STORED
        with default_storage.open(material.file.name, "rb") as source, \
                self.archive.open(info, "w", force_zip64=True) as target:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                target.write(chunk)
        if digest.hexdigest() != material.sha256:
            raise JobError(ERR_FILE_CHANGED.format(title=material.title))
        self.entries.append(Entry(path, KIND_TYPE[material.kind], material.city.name, material.title,
                                  material.caption, size, material.sha256))

    def discard(self) -> None:
        """Close the archive after a failure so nothing is left half-open; its content is thrown away."""
        try:
            self.archive.close()
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        manifest = write_xlsx(MANIFEST_HEADERS, (entry.row() for entry in self.entries), sheet_name="清单",
                              text_columns=[0, 6])
        self.archive.writestr(zipfile.ZipInfo(MANIFEST_NAME, date_time=timezone.localtime().timetuple()[:6]),
                              manifest, compress_type=zipfile.ZIP_DEFLATED)
        self.archive.close()


def _ext(material: Material) -> str:
    return material.file.name.rsplit(".", 1)[-1] if "." in material.file.name else "bin"


def _write(bundle: _Zip, cases: list[TypicalCase], outcomes: list[TraineeOutcome], materials: list[Material],
           step: Callable[[str], None]) -> None:
    for n, case in enumerate(cases, 1):
        folder = f"典型案例/{safe_part(case.city.name)}/{n:03d}-{safe_part(case.title)}"
        bundle.add_bytes(f"{folder}/案例正文.docx", case_document(case), type="典型案例", city=case.city.name,
                         title=case.title, caption=case.project_name)
        step(f"典型案例：{case.title}")
        for m, material in enumerate(case.materials.all(), 1):
            bundle.add_material(f"{folder}/{m:02d}-{safe_part(material.title)}.{_ext(material)}", material)
            step(f"案例素材：{material.title}")
    for n, outcome in enumerate(outcomes, 1):
        folder = f"学员成果/{safe_part(outcome.city.name)}/{n:03d}-{safe_part(outcome.title)}"
        bundle.add_bytes(f"{folder}/成果说明.docx", outcome_document(outcome),
                         type=f"学员成果（{outcome.get_stage_display()}）", city=outcome.city.name,
                         title=outcome.title, caption=outcome.summary[:200])
        step(f"学员成果：{outcome.title}")
        if outcome.material is not None:
            bundle.add_material(f"{folder}/{outcome.get_form_display()}.{_ext(outcome.material)}", outcome.material)
            step(f"成果文件：{outcome.material.title}")
    for n, material in enumerate(materials, 1):
        path = (f"素材/{safe_part(material.city.name)}/{KIND_TYPE[material.kind]}/"
                f"{n:03d}-{safe_part(material.title)}.{_ext(material)}")
        bundle.add_material(path, material)
        step(f"素材：{material.title}")


def package_build(package: RecommendationPackage, progress: Callable[[int, int, str], None]) -> dict[str, Any]:
    """Write the package's zip, store it and record its size and hash; return a summary for the job."""
    cases = list(package.cases.select_related("city", "county", "school").prefetch_related("materials__city")
                 .order_by("region_code", "pk"))
    outcomes = list(package.outcomes.select_related("city", "county", "school", "material", "material__city")
                    .order_by("region_code", "pk"))
    materials = list(package.materials.select_related("city").order_by("region_code", "pk"))
    total = (len(cases) + sum(len(c.materials.all()) for c in cases) + len(outcomes)
             + sum(1 for o in outcomes if o.material_id) + len(materials))
    done = 0
    progress(0, total, "开始打包")

    def step(message: str) -> None:
        nonlocal done
        done += 1
        progress(done, total, message)

    stored = ""
    try:
        with tempfile.TemporaryFile() as handle:
            bundle = _Zip(handle)
            try:
                _write(bundle, cases, outcomes, materials, step)
                bundle.close()
            except BaseException:
                bundle.discard()
                raise
            size = handle.tell()
            handle.seek(0)
            digest = hashlib.sha256()
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
            handle.seek(0)
            stored = default_storage.save(stored_name("summary/packages", "zip"), File(handle))
        with transaction.atomic():
            RecommendationPackage.objects.filter(pk=package.pk).update(
                zip_file=stored, zip_size=size, zip_sha256=digest.hexdigest(), file_count=len(bundle.entries),
                updated_at=timezone.now(),
            )
    except BaseException:
        if stored:
            default_storage.delete(stored)
        raise
    progress(total, total, "打包完成")
    return {"package_id": package.pk, "files": len(bundle.entries), "bytes": size}
