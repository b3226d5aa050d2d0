from django.core.management.base import BaseCommand

from guopei.core.audit import audit_record
from guopei.orgs.models import Region
from guopei.orgs.regions import regions_load


class Command(BaseCommand):
    help = "载入山西省行政区划（省、11个市、117个县区、4个功能区）；可重复执行。"

    def handle(self, *args, **options):
        result = regions_load(region_model=Region)
        if result.created or result.updated:
            audit_record(actor="system", action="regions.load", object_type="orgs.region",
                         detail={"created": result.created, "updated": result.updated})
        self.stdout.write(f"行政区划：新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}")
