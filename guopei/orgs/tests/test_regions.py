import pytest

from guopei.orgs.models import Region
from guopei.orgs.regions import regions_load

pytestmark = pytest.mark.django_db


def test_regions_loaded_by_migration_with_11_cities_and_117_counties():
    assert Region.objects.filter(level="province").count() == 1
    assert Region.objects.filter(level="city").count() == 11
    assert Region.objects.filter(level="county").count() == 117
    assert Region.objects.filter(level="zone").count() == 4


def test_region_codes_are_six_digits_under_their_parent():
    for region in Region.objects.exclude(level="province"):
        assert len(region.code) == 6 and region.code.isdigit()
        assert region.code.startswith(region.parent_id[:4] if region.level != "city" else "14")
    assert Region.objects.get(code="140105").parent.name == "太原市"


def test_loading_twice_changes_nothing():
    before = list(Region.objects.values_list("code", "name", "level", "parent_id"))
    result = regions_load(region_model=Region)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 133)
    assert list(Region.objects.values_list("code", "name", "level", "parent_id")) == before


def test_loading_restores_a_renamed_region():
    Region.objects.filter(code="140105").update(name="改错的名字")
    result = regions_load(region_model=Region)
    assert result.updated == 1
    assert Region.objects.get(code="140105").name == "小店区"
