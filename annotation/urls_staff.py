"""Staff pages of the annotation app: the annotator's home and workbench, batches, review and gold items."""

from django.urls import path

from annotation.views import batches, gold, labelling, quality, rates, reviews

urlpatterns = [
    path("work/", labelling.annotator_home, name="annotator-home"),
    path("work/label/", labelling.workbench, name="workbench"),
    path("batches/", batches.batch_list, name="batch-list"),
    path("batches/new/", batches.batch_create_view, name="batch-create"),
    path("batches/rates/", rates.piece_rates, name="piece-rates"),
    path("batches/rates/<int:project_id>/", rates.piece_rates_set, name="piece-rates-set"),
    path("batches/<int:batch_id>/", batches.batch_detail, name="batch-detail"),
    path("batches/<int:batch_id>/status/", batches.batch_status_view, name="batch-status"),
    path("batches/<int:batch_id>/assignees/", batches.batch_assignees_view, name="batch-assignees"),
    path("quality/", quality.quality_home, name="quality-home"),
    path("quality/projects/<int:project_id>/", quality.quality_project, name="quality-project"),
    path("quality/projects/<int:project_id>/recompute/", quality.quality_recompute, name="quality-recompute"),
    path("quality/projects/<int:project_id>/annotators.csv", quality.quality_csv, name="quality-csv"),
    path("review/", reviews.review_home, name="review-home"),
    path("review/batches/<int:batch_id>/", reviews.review_batch, name="review-batch"),
    path("review/projects/<int:project_id>/gold/", gold.gold_list, name="gold-list"),
    path("review/projects/<int:project_id>/gold/<int:item_id>/draw/", gold.gold_draw, name="gold-draw"),
]
