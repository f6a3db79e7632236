"""Sorting Chinese names as people expect: by pinyin (李 before 王 before 张), which neither
SQLite nor PostgreSQL's default collation does. A model keeps the key in a column
(`PinyinSortKeyField`), so lists are sorted, paginated and indexed in the database."""

from django.db import models
from pypinyin import Style, lazy_pinyin


def pinyin_sort_key(text: str) -> str:
    """`张丽` -> `zhang1 li4`: syllables with tone numbers, so homophones sort by tone and
    then the name itself breaks ties; letters and digits stay as written, lowercased."""
    syllables = lazy_pinyin((text or "").strip(), style=Style.TONE3, neutral_tone_with_five=True)
    return " ".join(part.strip().lower() for part in syllables if part.strip())[:250]


class PinyinSortKeyField(models.CharField):
    """A column filled from another field of the row (`source`) each time the row is saved
    (save, create, bulk_create; not QuerySet.update, which writes no model)."""

    def __init__(self, *args, source: str = "name", **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 255)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key, default in (("max_length", 255), ("editable", False), ("blank", True)):
            if kwargs.get(key) == default:
                kwargs.pop(key)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = pinyin_sort_key(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value
