from django.urls import path
from rest_framework.routers import SimpleRouter

from workforce.api import pay, scheduling, views

router = SimpleRouter()
router.register("centres", views.CentreViewSet, basename="centre")
router.register("teams", views.TeamViewSet, basename="team")
router.register("workers", views.WorkerViewSet, basename="worker")
router.register("roster-imports", views.RosterImportViewSet, basename="roster-import")
router.register("payslips", pay.PayslipViewSet, basename="payslip")
router.register("payroll/runs", pay.PayrollRunViewSet, basename="payroll-run")
router.register("earnings", pay.EarningsViewSet, basename="earning")
router.register("shifts", scheduling.ShiftViewSet, basename="shift")
router.register("attendance", scheduling.AttendanceViewSet, basename="attendance")

urlpatterns = [path("me/", views.MeView.as_view(), name="me"), *router.urls]
