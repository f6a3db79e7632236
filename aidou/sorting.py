"""Sorting Chinese names as people expect: by pinyin (李 before 王 before 张), which neither
SQLite nor PostgreSQL's default collation does. A model keeps the key in a column
(`PinyinSortKeyField`), so lists are sorted, paginated and indexed in the database."""

from django.db import models
from pypinyin import Style, lazy_pinyin

# Surnames read otherwise than the character's common reading (曾 is Zēng as a surname,
# céng in 曾经; 单 Shàn, not dān): a person's name starts with one of these readings.
SURNAME_READINGS = {
    "万俟": ["mo4", "qi2"], "尉迟": ["yu4", "chi2"], "长孙": ["zhang3", "sun1"],
    "曾": ["zeng1"], "单": ["shan4"], "解": ["xie4"], "仇": ["qiu2"], "区": ["ou1"], "朴": ["piao2"],
    "查": ["zha1"], "乐": ["yue4"], "缪": ["miao4"], "翟": ["zhai2"], "盖": ["ge3"], "覃": ["qin2"],
    "种": ["chong2"], "召": ["shao4"], "曲": ["qu1"], "黑": ["he4"], "华": ["hua4"], "任": ["ren2"],
    "秘": ["bi4"], "员": ["yun4"], "燕": ["yan1"], "柏": ["bai3"], "薄": ["bo2"], "繁": ["po2"],
    "褚": ["chu3"], "宁": ["ning4"], "纪": ["ji3"], "过": ["guo1"], "牟": ["mou2"], "折": ["she2"],
    "句": ["gou1"], "重": ["chong2"], "祭": ["zhai4"], "那": ["na1"], "能": ["nai4"], "隗": ["wei3"],
}  # fmt: skip


def pinyin_sort_key(text: str, *, person: bool = False) -> str:
    """`张丽` -> `zhang1 li4`: syllables with tone numbers, so homophones sort by tone;
    letters and digits stay as written, lowercased. `person`: the name starts with a
    surname, read as a surname (`曾华` -> `zeng1 hua2`)."""
    text = (text or "").strip()
    head: list[str] = []
    if person:
        surname = next((name for name in SURNAME_READINGS if text.startswith(name)), None)
        if surname is not None:
            head, text = SURNAME_READINGS[surname], text[len(surname) :]
    syllables = [*head, *lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True)]
    return " ".join(part.strip().lower() for part in syllables if part.strip())[:250]


class PinyinSortKeyField(models.CharField):
    """A column filled from another field of the row (`source`) each time the row is saved
    (save, create, bulk_create; not QuerySet.update, which writes no model)."""

    def __init__(self, *args, source: str = "name", person: bool = False, **kwargs):
        self.source, self.person = source, person
        kwargs.setdefault("max_length", 255)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if self.person:
            kwargs["person"] = True
        for key, default in (("max_length", 255), ("editable", False), ("blank", True)):
            if kwargs.get(key) == default:
                kwargs.pop(key)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = pinyin_sort_key(getattr(model_instance, self.source), person=self.person)
        setattr(model_instance, self.attname, value)
        return value
