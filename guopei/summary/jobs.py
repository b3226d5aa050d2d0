"""Background jobs of the ten-year summary: building the recommendation package for the Ministry (SUMMARY-2)."""

from __future__ import annotations

from typing import Any

from guopei.core.jobs import JobContext, JobError, job_handler

from .models import RecommendationPackage
from .packaging import package_build

ERR_PACKAGE_GONE = "要打包的推荐材料清单已不存在。"


@job_handler("summary.package_build")
def package_build_job(ctx: JobContext) -> dict[str, Any]:
    """Build the zip of the selected cases, outcomes and materials with its manifest, reporting progress."""
    package = RecommendationPackage.objects.filter(pk=int(ctx.params.get("package_id") or 0)).first()
    if package is None:
        raise JobError(ERR_PACKAGE_GONE)
    return package_build(package, ctx.progress)
