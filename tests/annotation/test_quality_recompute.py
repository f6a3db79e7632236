"""Quality recomputation: shapes fused across annotators by quality, agreement between
them, the consensus stored per item (and used by exports while it is current), one
snapshot per annotator per run (the trend), outliers flagged, as a job with progress."""

import pytest

from annotation.models import Batch, ItemConsensus, QualityJob, QualitySnapshot
from annotation.quality.assessment import Work, assess_project, quality_weight
from annotation.quality.fusion import fuse_shapes, weighted_class
from annotation.selectors import consensus_prefetch, current_annotations_prefetch, item_labels_for_export
from annotation.services.quality import quality_flags, quality_recompute_start
from tests import factories
from tests.annotation.factories import accepted_work, labelling_project
from tests.test_celery_worker import celery_worker_process, wait_until_finished  # noqa: F401 - the fixture
from workforce.models import Role

RECOMPUTE = "/api/v1/quality/recompute/"


def box(label, x, y, w=100, h=50):
    return {"type": "bbox", "label": label, "x": x, "y": y, "w": w, "h": h}


# --- Fusion, by hand --------------------------------------------------------------------


def test_boxes_fuse_by_weighted_corners_and_a_minority_box_is_left_out():
    works = [
        [box("car", 10, 10), box("person", 400, 300, 20, 40)],  # only this one saw the person
        [box("car", 20, 10)],
        [box("truck", 10, 20)],  # same object, another label
    ]
    fused, clusters = fuse_shapes(works, [1.0, 1.0, 0.5])
    assert len(clusters) == 2
    # Corners: x1 = (10 + 20 + 5) / 2.5 = 14, y1 = (10 + 10 + 10) / 2.5 = 12, x2 = x1 + 100, y2 = (60 + 60 + 35) / 2.5 = 62.
    assert fused == [{"type": "bbox", "x": 14.0, "y": 12.0, "w": 100.0, "h": 50.0, "label": "car"}]
    person = next(c for c in clusters if c.label == "person")
    assert person.support == pytest.approx(1 / 2.5)


def test_the_label_follows_the_weight_not_the_head_count():
    works = [[box("car", 0, 0)], [box("truck", 0, 0)], [box("truck", 2, 0)]]
    fused, _ = fuse_shapes(works, [0.95, 0.3, 0.3])
    assert fused[0]["label"] == "car"
    assert weighted_class(["day", "night", "night"], [0.95, 0.3, 0.3]) == "day"
    assert weighted_class(["day", "night", "night"], [0.5, 0.5, 0.5]) == "night"
    assert weighted_class([None, None], [1, 1]) is None


def test_one_annotators_shapes_come_back_exactly_as_drawn():
    drawn = [
        box("car", 10.37, 20.01, 33.33, 44.44),
        {"type": "polygon", "label": "car", "points": [[0, 0], [5, 0], [5, 5]]},
    ]
    fused, _ = fuse_shapes([drawn], [0.7])
    assert fused == drawn


def test_polygons_take_the_member_closest_to_the_others_and_key_points_average():
    square = [[0, 0], [10, 0], [10, 10], [0, 10]]
    shifted = [[1, 0], [11, 0], [11, 10], [1, 10]]
    far = [[3, 0], [13, 0], [13, 10], [3, 10]]
    polygons = [[{"type": "polygon", "label": "car", "points": p}] for p in (square, shifted, far)]
    fused, _ = fuse_shapes(polygons, [1, 1, 1])
    assert fused[0]["points"] == shifted  # the middle one overlaps the other two most

    def person(head, hand, tail):
        return [{"type": "keypoints", "label": "person", "points": {"head": head, "hand": hand, "tail": tail}}]

    works = [
        person([10, 10, 2], [50, 50, 2], [30, 30, 2]),
        person([14, 10, 2], [52, 50, 2], [0, 0, 0]),
        person([12, 12, 1], [51, 49, 1], [0, 0, 0]),
    ]
    fused, clusters = fuse_shapes(works, [1, 1, 2], keypoint_names=["head", "hand", "tail"])
    assert len(clusters) == 1
    # head: x (10 + 14 + 2 * 12) / 4 = 12, y (10 + 10 + 2 * 12) / 4 = 11; marked visible by half the weight.
    # hand: (50 + 52 + 102) / 4 = 51, (50 + 50 + 98) / 4 = 49.5. tail: a quarter of the weight: not labelled.
    assert fused[0]["points"] == {"head": [12.0, 11.0, 2], "hand": [51.0, 49.5, 2], "tail": [0, 0, 0]}


def test_quality_weight_is_smoothed_towards_a_half():
    assert quality_weight(0, 0) == 0.5
    assert quality_weight(9, 10) == pytest.approx(10 / 12)
    assert quality_weight(0, 100) == 0.05  # never zero: fusion divides by total weight


# --- A project assessed, by hand -----------------------------------------------------------


def test_assessment_scores_agreement_per_annotator_and_counts_label_confusion():
    works = [
        Work(1, 100, 7, 1, [box("car", 0, 0)], "day", 10_000),
        Work(2, 100, 8, 1, [box("car", 0, 0)], "day", 12_000),
        Work(3, 100, 9, 1, [box("truck", 0, 0)], "night", 1_000),
        Work(4, 101, 7, 1, [box("car", 0, 0), box("car", 300, 300)], "day", 8_000),
        Work(5, 101, 8, 1, [box("car", 0, 0)], "day", 9_000),
    ]
    found = assess_project(works, {})
    # Item 100: 7-8 agree (F1 1), 7-9 and 8-9 do not (0: the label differs). Item 101: 7-8 F1 2/3.
    assert found.annotators[7].agreement == pytest.approx((0.5 + 2 / 3) / 2)
    assert found.annotators[9].agreement == 0.0
    assert found.mean_pairwise_f1 == pytest.approx((1 + 0 + 0 + 2 / 3) / 4)
    assert found.consensus[100]["shapes"][0]["label"] == "car"
    assert found.consensus[100]["basis"] == [1, 2, 3]
    assert found.consensus[101]["agreement"] == pytest.approx(0.6667, abs=1e-4)
    # Item 101's second car has half the weight behind it (7's alone): kept, and counted.
    assert found.shape_confusion[("truck", "car")] == 1 and found.shape_confusion[("car", "car")] == 5
    assert len(found.consensus[101]["shapes"]) == 2
    assert found.class_confusion[("night", "day")] == 1
    assert found.annotators[9].median_seconds == 1.0


# --- The job ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_recomputation_stores_consensus_and_snapshots_and_flags_outliers(
    crowd, supervisor, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    project, batch, (li, wang), careless = crowd
    with django_capture_on_commit_callbacks(execute=True):
        job = quality_recompute_start(project=project, created_by=supervisor)
    job.refresh_from_db()
    assert job.status == QualityJob.Status.SUCCEEDED, job.failure
    assert job.processed == job.total > 0 and job.percent == 100

    consensus = ItemConsensus.objects.filter(item__project=project)
    assert consensus.count() == 12
    first = consensus.order_by("item_id").first()
    # Weights from agreement: li and wang (7 + 1) / (12 + 2) = 0.5 each, zhao (0 + 1) / 14:
    # x = (0.5 * 10 + 0.5 * 10 + 12 / 14) / (1 + 1 / 14) = 10.13; the label is the pair's.
    assert first.shapes == [{"type": "bbox", "x": 10.13, "y": 10.0, "w": 100.0, "h": 50.0, "label": "car"}]
    assert first.image_class == "day" and first.annotators == 3

    snapshots = {s.annotator_id: s for s in QualitySnapshot.objects.filter(job=job)}
    assert set(snapshots) == {li.pk, wang.pk, careless.pk}
    assert snapshots[li.pk].agreement == pytest.approx(0.5) and snapshots[li.pk].agreement_n == 12
    assert snapshots[careless.pk].agreement == 0.0
    assert set(snapshots[careless.pk].flags) == {"too_fast", "low_agreement"}
    assert snapshots[li.pk].flags == []
    assert snapshots[careless.pk].class_accuracy < 0.5 < snapshots[li.pk].class_accuracy
    assert job.summary["shape_confusion"] == {"labels": ["car", "truck"], "matrix": [[24, 12], [0, 0]]}
    assert job.summary["batches"][0] == {
        "id": batch.pk,
        "name": "第一批",
        "items": 12,
        "mean_f1": 0.3333,
        "reviewed": 0,
        "acceptance_rate": None,
    }
    assert job.summary["flagged"] == 1

    # Run again: the consensus is replaced, not doubled; a second snapshot per person is kept.
    more_items = labelling_project(items=0)  # another project's rows are never touched
    assert more_items.items.count() == 0
    with django_assert_max_num_queries(40), django_capture_on_commit_callbacks(execute=True):
        again = quality_recompute_start(project=project, created_by=supervisor)
    assert again.pk != job.pk
    assert ItemConsensus.objects.filter(item__project=project).count() == 12
    assert QualitySnapshot.objects.filter(project=project, annotator=li).count() == 2


@pytest.mark.django_db
def test_the_job_makes_the_same_number_of_queries_for_any_number_of_items(
    centre, supervisor, django_capture_on_commit_callbacks, django_assert_num_queries
):
    def run(items):
        project = labelling_project(items=items, overlap=2)
        batch = Batch.objects.create(project=project, centre=centre, name=f"b{items}")
        people = [
            factories.UserFactory(username=f"p{items}-{n}", centre=centre, roles=[Role.ANNOTATOR]) for n in range(2)
        ]
        for item in project.items.all():
            for person in people:
                accepted_work(batch, item, person, shapes=[box("car", 5, 5)])
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            quality_recompute_start(project=project, created_by=supervisor)
        return len(queries)

    assert run(3) == run(9)


@pytest.mark.django_db
def test_exports_use_the_stored_consensus_only_while_the_work_behind_it_is_unchanged(
    crowd, supervisor, django_capture_on_commit_callbacks
):
    project, batch, (li, wang), careless = crowd
    with django_capture_on_commit_callbacks(execute=True):
        quality_recompute_start(project=project, created_by=supervisor)
    item = project.items.order_by("id").prefetch_related(current_annotations_prefetch(), consensus_prefetch()).first()
    stored = ItemConsensus.objects.get(item=item)
    stored.shapes = [box("car", 1, 1)]  # as if quality weights had moved it
    stored.save()
    item = project.items.order_by("id").prefetch_related(current_annotations_prefetch(), consensus_prefetch()).first()
    assert item_labels_for_export(item, only_accepted=True, project=project)["shapes"] == [box("car", 1, 1)]

    # A reviewer sends one piece of work back: the basis no longer holds, so it is fused afresh.
    work = item.current_annotations[0]
    work.review = "rejected"
    work.save()
    item = project.items.order_by("id").prefetch_related(current_annotations_prefetch(), consensus_prefetch()).first()
    labels = item_labels_for_export(item, only_accepted=True, project=project)
    # wang's car at x 10 and zhao's truck at 12 are one object; equal weights: x 11, the first one's label.
    assert labels["shapes"] == [{"type": "bbox", "x": 11.0, "y": 10.0, "w": 100.0, "h": 50.0, "label": "car"}]


@pytest.mark.django_db
def test_the_api_starts_a_recomputation_and_reports_its_progress(
    crowd, supervisor, other_centre, annotator, api, django_capture_on_commit_callbacks
):
    project = crowd[0]
    with django_capture_on_commit_callbacks(execute=True):
        started = api(supervisor).post(RECOMPUTE, {"project": project.pk}, format="json")
    assert started.status_code == 202, started.content
    body = started.json()
    assert body["project"] == project.pk and body["status"] in ("queued", "succeeded")
    polled = api(supervisor).get(f"/api/v1/quality/jobs/{body['id']}/")
    assert polled.status_code == 200 and polled.json()["status"] == "succeeded"
    assert polled.json()["processed"] == polled.json()["total"]

    outsider = factories.UserFactory(username="outsider", centre=other_centre, roles=[Role.SUPERVISOR])
    assert api(outsider).post(RECOMPUTE, {"project": project.pk}, format="json").status_code == 404
    assert api(outsider).get(f"/api/v1/quality/jobs/{body['id']}/").status_code == 404
    assert api(annotator).post(RECOMPUTE, {"project": project.pk}, format="json").status_code == 404
    assert api(supervisor).post(RECOMPUTE, {"project": "x"}, format="json").status_code == 400


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_recomputation_runs_on_a_real_worker(crowd, supervisor, celery_worker_process):  # noqa: F811
    project = crowd[0]
    # Autocommit here: the service's on-commit enqueue sends the task to the broker at once.
    job = quality_recompute_start(project=project, created_by=supervisor)
    wait_until_finished(job, celery_worker_process)
    assert job.status == QualityJob.Status.SUCCEEDED, f"job still {job.status} {job.failure}"
    assert ItemConsensus.objects.filter(item__project=project).count() == 12
    assert QualitySnapshot.objects.filter(job=job).count() == 3


def test_flags_by_hand():
    def snapshot(**fields):
        values = {"items": 20, "median_seconds": 20.0, "agreement": 0.8, "agreement_n": 20, "score": 0.9}
        return QualitySnapshot(**{**values, **fields})

    medians = {"median_seconds": 30.0, "median_agreement": 0.85}
    assert quality_flags(snapshot(), [1.0] * 20, **medians) == []
    assert quality_flags(snapshot(median_seconds=11.0), [], **medians) == ["too_fast"]  # under 40% of 30 s
    assert quality_flags(snapshot(median_seconds=13.0), [], **medians) == []
    assert quality_flags(snapshot(median_seconds=5.0, items=9), [], **medians) == []  # too few items to tell
    assert quality_flags(snapshot(agreement=0.6), [], **medians) == ["low_agreement"]  # 0.2 under the median
    assert quality_flags(snapshot(agreement=0.45), [], median_seconds=None, median_agreement=None) == ["low_agreement"]
    # The last observations are clearly worse than the record: 6 of 20 good, upper bound 0.52 < 0.9.
    assert quality_flags(snapshot(), [1.0] * 6 + [0.0] * 14, **medians) == ["falling"]
    assert quality_flags(snapshot(), [1.0] * 16 + [0.0] * 4, **medians) == []
