"""A covering index for the annotator's home earnings (decision 0015), PostgreSQL only.

At 10,000,000 lines a month a person's ~1,700 lines lie on as many heap pages (they are
written in time order, interleaved with everyone's), so the panel's aggregate was heap
fetches: p95 474 ms in the bench. With the columns it reads in the index, it is an
index-only scan (p95 12.5 ms). SQLite has no INCLUDE; it keeps `ledger_worker_time`.
Not in the model's Meta: Django would warn (models.W040) on SQLite for an `include`.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS ledger_worker_earnings ON workforce_ledgerline (worker_id, accepted_at) "
    "INCLUDE (kind, centre_id, project_id, unit, rate, quantity, amount)"
)
DROP = "DROP INDEX IF EXISTS ledger_worker_earnings"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("workforce", "0010_pinyin_sort_keys")]

    operations = [migrations.RunPython(create, drop)]
