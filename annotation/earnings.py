"""The annotation side of pay: what a piece of accepted work is paid by, told to the
workforce ledger inside the transaction that accepts it (decisions 0008 and 0015).

Work is accepted on four roads, each of which calls `annotation_earned`: a reviewer's
accept, a reviewer's fix (the annotator is paid for what they submitted), a submit that
sampling lets through unreviewed, and a gold item's submit (the annotator cannot tell it
from other work). Every review done pays its reviewer (`review_earned`), whatever it
decided. A rejection writes nothing for the annotator: rework is paid when it is accepted.
"""

import datetime as dt

from workforce.models import WorkUnit
from workforce.pay import services as pay

# Shape types of the label schema and the unit each is paid by.
SHAPE_UNITS = {"bbox": WorkUnit.BOX, "polygon": WorkUnit.POLYGON, "keypoints": WorkUnit.KEYPOINTS}


def annotation_units(shapes: list | None, image_class: str | None) -> dict[str, int]:
    """The units of one annotation as submitted: one accepted image, each box, polygon and
    key-point set, and one image class when it has one."""
    units = {WorkUnit.ITEM.value: 1}
    for shape in shapes or []:
        unit = SHAPE_UNITS.get(str(shape.get("type"))) if isinstance(shape, dict) else None
        if unit is not None:
            units[unit.value] = units.get(unit.value, 0) + 1
    if image_class not in (None, ""):
        units[WorkUnit.CLASS.value] = 1
    return units


def annotation_earned(
    *,
    annotation_id: int,
    annotator_id: int,
    centre_id: int | None,
    project_id: int,
    project_name: str,
    item_id: int,
    file_name: str,
    shapes: list | None,
    image_class: str | None,
    done_at: dt.datetime,
    how: str,
) -> None:
    """Write the annotator's lines for one accepted annotation (`how`: accepted, fixed,
    not_sampled or gold). Call it inside the accepting transaction."""
    units = annotation_units(shapes, image_class)
    pay.ledger_work_accepted(
        worker_id=annotator_id,
        centre_id=centre_id,
        project_id=project_id,
        source=pay.LEDGER_SOURCE_ANNOTATION,
        source_id=annotation_id,
        units=units,
        done_at=done_at,
        description={"project": project_name, "item": item_id, "file_name": file_name, "how": how, "units": units},
    )


def review_earned(
    *,
    review_id: int,
    reviewer_id: int,
    centre_id: int | None,
    project_id: int,
    project_name: str,
    item_id: int,
    file_name: str,
    decision: str,
    done_at: dt.datetime,
) -> None:
    """Write the reviewer's line for one review done, inside the review's transaction."""
    pay.ledger_review_done(
        reviewer_id=reviewer_id,
        centre_id=centre_id,
        project_id=project_id,
        review_id=review_id,
        done_at=done_at,
        description={
            "project": project_name,
            "item": item_id,
            "file_name": file_name,
            "how": "review",
            "decision": decision,
        },  # fmt: skip
    )
