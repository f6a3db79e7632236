"""Client API routes (API.md). Each area registers its viewsets on the router here."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from annotation.api import batches, exports, projects, quality, reviews, webhooks, workbench

router = SimpleRouter()
router.register("projects", projects.ProjectViewSet, basename="project")
router.register("items", projects.ItemViewSet, basename="item")
router.register("imports", projects.ImportViewSet, basename="import")
router.register("exports", exports.ExportViewSet, basename="export")
router.register("webhooks", webhooks.WebhookViewSet, basename="webhook")
router.register("batches", batches.BatchViewSet, basename="batch")
router.register("assignments", workbench.AssignmentViewSet, basename="assignment")
router.register("review-queue", reviews.ReviewQueueViewSet, basename="review-queue")

urlpatterns = [
    # First: an annotator calls these two for every image (fewer patterns tried before them).
    path("assignments/next/", workbench.AssignmentNextView.as_view(), name="assignment-next"),
    re_path(
        r"^assignments/(?P<pk>[0-9]{1,18})/submit/$", workbench.AssignmentSubmitView.as_view(), name="assignment-submit"
    ),
    path("projects/<int:project_id>/items/", projects.ProjectItemList.as_view(), name="project-items"),
    path("projects/<int:project_id>/exports/", exports.ProjectExportCreate.as_view(), name="project-exports"),
    path("quality/annotators/", reviews.AnnotatorQualityView.as_view(), name="quality-annotators"),
    path("quality/recompute/", quality.QualityRecomputeView.as_view(), name="quality-recompute"),
    path("quality/jobs/<int:job_id>/", quality.QualityJobView.as_view(), name="quality-job"),
    path("gold/", reviews.GoldView.as_view(), name="gold"),
    path("gold/<int:item_id>/", reviews.GoldItemView.as_view(), name="gold-item"),
    *router.urls,
]
