from django.db import migrations


def load(apps, schema_editor):
    from guopei.orgs.regions import regions_load

    regions_load(region_model=apps.get_model("orgs", "Region"))


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
