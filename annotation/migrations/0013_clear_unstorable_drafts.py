"""Drafts saved before heartbeats refused text PostgreSQL and UTF-8 cannot store.

SQLite kept a draft holding a lone surrogate (JSON's "\\ud800"), and every later `next`
for its annotator failed when the draft was sent back as UTF-8. PostgreSQL refused such
drafts when they were saved, so there this finds none. The draft is only a convenience
(the unsubmitted shapes): clearing it loses at most what the annotator drew since the
last submit, and gives them their workbench back. Nothing to undo.
"""

from django.db import migrations

from aidou.text import json_unstorable


def clear_unstorable_drafts(apps, schema_editor):
    Assignment = apps.get_model("annotation", "Assignment")
    bad = [
        pk
        for pk, draft in Assignment.objects.filter(draft__isnull=False).values_list("pk", "draft").iterator(chunk_size=2000)
        if json_unstorable(draft)
    ]
    for start in range(0, len(bad), 500):
        Assignment.objects.filter(pk__in=bad[start : start + 500]).update(draft=None)


class Migration(migrations.Migration):
    dependencies = [("annotation", "0012_import_warnings")]

    operations = [migrations.RunPython(clear_unstorable_drafts, migrations.RunPython.noop)]
