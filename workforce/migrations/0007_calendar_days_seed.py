"""Seed China's calendar for 2025–2027: the statutory holidays (法定节假日) and the days
swapped around them (调休: weekdays given as rest, weekend days worked), each with its source.

The statutory days follow 《全国年节及纪念日放假办法》 as revised by the State Council on
2024-11-10 (13 days from 2025: 元旦 1, 春节 4 from 除夕, 清明 1, 劳动节 2, 端午 1, 中秋 1,
国庆 3). The swaps are set each year by the State Council General Office's notice; 2025's and
2026's are below (cross-checked with the `chinese-calendar` package, 1.11.0). 2027's notice
was not at hand: its statutory days are seeded (they follow from the law and the lunar
calendar), its swaps are for HR to add as data when the notice is out. Rows are matched by
date, so an edited row is left alone and running this again adds nothing twice."""

import datetime as dt

from django.db import migrations

LAW = "《全国年节及纪念日放假办法》(2024年11月10日国务院令第795号修订，2025年1月1日起施行)"
NOTICE_2025 = "国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号)"
NOTICE_2026 = "国务院办公厅关于2026年部分节假日安排的通知 (2025年11月发布)"
LUNAR_2027 = "；2027年调休安排以国务院办公厅通知为准，发布后请HR补录 (CHECK)"

S, R, W = "statutory", "rest", "workday"
NEW_YEAR, SPRING, QINGMING, LABOUR, DRAGON, MID_AUTUMN, NATIONAL = (
    "元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节",
)  # fmt: skip


def _days(year: int, rows: list[tuple[int, int, str, str]], source: str) -> list[tuple[dt.date, str, str, str]]:
    return [(dt.date(year, month, day), kind, name, source) for month, day, kind, name in rows]


CALENDAR = [
    *_days(2025, [
        (1, 1, S, NEW_YEAR),
        (1, 26, W, SPRING), (1, 28, S, SPRING + "(除夕)"), (1, 29, S, SPRING), (1, 30, S, SPRING), (1, 31, S, SPRING),
        (2, 3, R, SPRING), (2, 4, R, SPRING), (2, 8, W, SPRING),
        (4, 4, S, QINGMING),
        (4, 27, W, LABOUR), (5, 1, S, LABOUR), (5, 2, S, LABOUR), (5, 5, R, LABOUR),
        (5, 31, S, DRAGON), (6, 2, R, DRAGON),
        (9, 28, W, NATIONAL), (10, 1, S, NATIONAL), (10, 2, S, NATIONAL), (10, 3, S, NATIONAL),
        (10, 6, S, MID_AUTUMN), (10, 7, R, NATIONAL), (10, 8, R, NATIONAL), (10, 11, W, NATIONAL),
    ], f"{NOTICE_2025}；{LAW}"),
    *_days(2026, [
        (1, 1, S, NEW_YEAR), (1, 2, R, NEW_YEAR), (1, 4, W, NEW_YEAR),
        (2, 14, W, SPRING), (2, 16, S, SPRING + "(除夕)"), (2, 17, S, SPRING), (2, 18, S, SPRING), (2, 19, S, SPRING),
        (2, 20, R, SPRING), (2, 23, R, SPRING), (2, 28, W, SPRING),
        (4, 5, S, QINGMING), (4, 6, R, QINGMING),
        (5, 1, S, LABOUR), (5, 2, S, LABOUR), (5, 4, R, LABOUR), (5, 5, R, LABOUR), (5, 9, W, LABOUR),
        (6, 19, S, DRAGON),
        (9, 20, W, NATIONAL), (9, 25, S, MID_AUTUMN),
        (10, 1, S, NATIONAL), (10, 2, S, NATIONAL), (10, 3, S, NATIONAL),
        (10, 5, R, NATIONAL), (10, 6, R, NATIONAL), (10, 7, R, NATIONAL), (10, 10, W, NATIONAL),
    ], f"{NOTICE_2026}；{LAW}"),
    *_days(2027, [
        (1, 1, S, NEW_YEAR),
        (2, 5, S, SPRING + "(除夕)"), (2, 6, S, SPRING), (2, 7, S, SPRING), (2, 8, S, SPRING),
        (4, 5, S, QINGMING),
        (5, 1, S, LABOUR), (5, 2, S, LABOUR),
        (6, 9, S, DRAGON),
        (9, 15, S, MID_AUTUMN),
        (10, 1, S, NATIONAL), (10, 2, S, NATIONAL), (10, 3, S, NATIONAL),
    ], f"{LAW}，按农历推算{LUNAR_2027}"),
]  # fmt: skip


def seed(apps, schema_editor):
    CalendarDay = apps.get_model("workforce", "CalendarDay")
    for date, kind, name, source in CALENDAR:
        CalendarDay.objects.get_or_create(date=date, defaults={"kind": kind, "name": name, "source": source})


def unseed(apps, schema_editor):
    CalendarDay = apps.get_model("workforce", "CalendarDay")
    for date, kind, name, source in CALENDAR:
        CalendarDay.objects.filter(date=date, kind=kind, source=source).delete()


class Migration(migrations.Migration):
    dependencies = [("workforce", "0006_payslip_net_check_rounded")]
    operations = [migrations.RunPython(seed, unseed)]
