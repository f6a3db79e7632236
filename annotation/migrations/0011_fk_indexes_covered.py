"""Drop the single-column indexes of foreign keys that a composite index already leads
with: the composite serves the same lookups, and the hot tables (assignments, slots,
annotations, items) are written on every `next` and `submit`, each write keeping every
index. Only the indexes are dropped; the foreign keys stay as they are (Django's own
AlterField would drop and re-add each constraint, re-checking every row of the table)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (model, foreign key) whose own index goes; the composite that serves it instead.
COVERED = [
    ("annotation", "assignment"),  # annotation_one_per_revision (assignment, revision)
    ("annotation", "item"),  # annotation_item_created (item, created_at)
    ("assignment", "annotator"),  # assignment_annotator_status (annotator, status)
    ("assignment", "batch"),  # assignment_batch_status (batch, status)
    ("assignment", "item"),  # assignment_once_per_annotator (item, annotator)
    ("item", "project"),  # item_project_status (project, status, id) and two more
    ("task", "item"),  # task_one_per_item_slot (item, slot)
]


def _index_names(apps, schema_editor):
    """The name Django gave each foreign key's index (the same on every database)."""
    for model_name, field_name in COVERED:
        model = apps.get_model("annotation", model_name)
        column = model._meta.get_field(field_name).column
        yield model._meta.db_table, column, schema_editor._create_index_name(model._meta.db_table, [column])


def drop_indexes(apps, schema_editor):
    for _table, _column, name in _index_names(apps, schema_editor):
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_indexes(apps, schema_editor):
    for table, column, name in _index_names(apps, schema_editor):
        quote = schema_editor.quote_name
        schema_editor.execute(f"CREATE INDEX {quote(name)} ON {quote(table)} ({quote(column)})")


class Migration(migrations.Migration):
    dependencies = [
        ("annotation", "0010_task_taken"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
            state_operations=[
                migrations.AlterField(
                    model_name="annotation",
                    name="assignment",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="annotations",
                        to="annotation.assignment",
                    ),
                ),
                migrations.AlterField(
                    model_name="annotation",
                    name="item",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="annotations",
                        to="annotation.item",
                    ),
                ),
                migrations.AlterField(
                    model_name="assignment",
                    name="annotator",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assignments",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="assignment",
                    name="batch",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="assignments",
                        to="annotation.batch",
                    ),
                ),
                migrations.AlterField(
                    model_name="assignment",
                    name="item",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="assignments",
                        to="annotation.item",
                    ),
                ),
                migrations.AlterField(
                    model_name="item",
                    name="project",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="items",
                        to="annotation.project",
                    ),
                ),
                migrations.AlterField(
                    model_name="task",
                    name="item",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tasks",
                        to="annotation.item",
                    ),
                ),
            ],
        ),
    ]
