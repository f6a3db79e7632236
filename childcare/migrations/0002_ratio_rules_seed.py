"""The network's default ratio rules (centre null): the national standard for childcare
institutions for children under three, and the after-school group as this network's own
policy (no national figure exists for it). Centres set their own with a source note."""

import datetime as dt

from django.db import migrations

STANDARD = (
    "托育机构设置标准（试行）（国卫人口发〔2019〕58号）第十条、第十二条: "
    "乳儿班 6-12个月 10人以下 1:3; 托小班 12-24个月 15人以下 1:5; 托大班 24-36个月 20人以下 1:7"
)
AFTER_SCHOOL = "网络政策（无国家标准）: 学龄儿童课后看护 每组不超过20人, 1:10"

DEFAULTS = [
    ("infant", 6, 12, 3, 10, STANDARD),
    ("toddler", 12, 24, 5, 15, STANDARD),
    ("twos", 24, 36, 7, 20, STANDARD),
    ("school_age", 72, 168, 10, 20, AFTER_SCHOOL),
]


def seed(apps, schema_editor):
    RatioRule = apps.get_model("childcare", "RatioRule")
    for band, low, high, ratio, group, note in DEFAULTS:
        RatioRule.objects.get_or_create(
            centre=None,
            band=band,
            effective_from=dt.date(2019, 10, 8),
            defaults={
                "min_months": low,
                "max_months": high,
                "children_per_caregiver": ratio,
                "max_group_size": group,
                "source_note": note,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("childcare", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
