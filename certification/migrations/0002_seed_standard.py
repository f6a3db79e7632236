"""The five levels of 人工智能训练师 (4-04-05-05) and the first version of their requirements.

Data, not schema: a fresh database (and every test) starts with a standard in force; HR
edits it from then on, each edit a new version (certification.services.standard_revise).
"""

from decimal import Decimal

from django.db import migrations

LEVELS = [
    (5, "五级", "初级工"),
    (4, "四级", "中级工"),
    (3, "三级", "高级工"),
    (2, "二级", "技师"),
    (1, "一级", "高级技师"),
]

SOURCE_NOTE = (
    "《国家职业技能标准 人工智能训练师（2021年版）》（职业编码 4-04-05-05，人力资源社会保障部办公厅、"
    "工业和信息化部办公厅 2021 年颁布）的申报条件：五级需累计从事本职业工作 1 年（或经本职业五级正规培训）；"
    "高一级需取得低一级证书后累计从事本职业工作若干年；理论知识考试和技能考核均实行百分制，成绩皆达 60 分及以上者为合格。"
    "本中心按实测工作折算：工作月数为有被采纳作品的月份，工作量为被采纳的标注数，质量为质检引擎的得分；"
    "数字为本中心默认值，人事可修改（每次修改生成新版本）。"
)

# grade: (prerequisite grade, months holding it, work months, unit, volume, quality months,
#         quality, training hours)
DEFAULTS = {
    5: (None, 0, 3, "item", 2000, 3, "0.850", "40"),
    4: (5, 12, 12, "box", 10000, 6, "0.900", "60"),
    3: (4, 24, 36, "box", 30000, 6, "0.930", "80"),
    2: (3, 24, 60, "box", 60000, 12, "0.950", "120"),
    1: (2, 24, 84, "box", 100000, 12, "0.950", "160"),
}


def seed(apps, schema_editor):
    Level = apps.get_model("certification", "Level")
    StandardVersion = apps.get_model("certification", "StandardVersion")
    Requirement = apps.get_model("certification", "Requirement")
    levels = {}
    for grade, name, title in LEVELS:
        levels[grade], _created = Level.objects.get_or_create(grade=grade, defaults={"name": name, "title": title})
    if StandardVersion.objects.exists():
        return
    version = StandardVersion.objects.create(number=1, source_note=SOURCE_NOTE, note="默认值 / defaults")
    for grade, (pre, pre_months, work, unit, volume, q_months, quality, hours) in DEFAULTS.items():
        Requirement.objects.create(
            version=version,
            level=levels[grade],
            prerequisite_level=levels[pre] if pre else None,
            prerequisite_months=pre_months,
            work_months=work,
            volume_unit=unit,
            volume_min=volume,
            quality_months=q_months,
            quality_min=Decimal(quality),
            training_hours=Decimal(hours),
            theory_pass=60,
            practical_pass=60,
        )


class Migration(migrations.Migration):
    dependencies = [("certification", "0001_standard_training_exams_certificates")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
