from django.urls import path

from workforce.scheduling import views

urlpatterns = [
    path("", views.schedule_home, name="schedule-home"),
    path("shift-types/", views.shift_type_list, name="shift-type-list"),
    path("shift-types/<int:shift_type_id>/", views.shift_type_edit, name="shift-type-edit"),
    path("shift-types/<int:shift_type_id>/delete/", views.shift_type_delete, name="shift-type-delete"),
    path("teams/<int:team_id>/week/", views.roster_week, name="roster-week"),
    path("teams/<int:team_id>/attendance/", views.team_attendance, name="team-attendance"),
    path("teams/<int:team_id>/attendance/add/", views.attendance_add, name="attendance-add"),
    path("teams/<int:team_id>/report/", views.attendance_report, name="attendance-report"),
    path("teams/<int:team_id>/report.<str:file_format>", views.attendance_report_file, name="attendance-report-file"),
    path("clock-in/", views.clock_in, name="clock-in"),
    path("clock-out/", views.clock_out, name="clock-out"),
    path("attendance/", views.my_attendance, name="my-attendance"),
    path("attendance/<int:record_id>/correct/", views.attendance_correct, name="attendance-correct"),
    path("absences/", views.absence_list, name="absence-list"),
    path("absences/<int:absence_id>/decide/", views.absence_decide, name="absence-decide"),
    path("absences/<int:absence_id>/cancel/", views.absence_cancel, name="absence-cancel"),
]
