"""Model fields shared by the apps."""

from django.db import models

from aidou.text import clean_name_part


class NameField(models.CharField):
    """A name someone typed or sent (a person, a centre, a team, a project, a file, a key):
    stored as `aidou.text.clean_name_part` leaves it, without control or bidirectional-
    formatting characters (U+202E would show `gpj.exe` as `exe.jpg`) and without spaces at
    its ends, whichever road writes it: `save()`, `bulk_create()`, `update()`, forms,
    serializers, the admin or a data import. To migrations it is the CharField it stores
    (`deconstruct`), so making a field a NameField changes no schema."""

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if isinstance(value, str):
            value = clean_name_part(value)
            setattr(model_instance, self.attname, value)  # the saved object shows what was stored
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        # update(), bulk_update() and look-ups: a name is compared as it would be stored.
        return clean_name_part(value) if isinstance(value, str) else value

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs
