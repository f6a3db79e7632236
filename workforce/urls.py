from django.urls import path

from workforce import views

urlpatterns = [
    path("", views.home, name="home"),
    path("workers/", views.worker_list, name="worker-list"),
    path("workers/new/", views.worker_edit, name="worker-create"),
    path("workers/<int:worker_id>/", views.worker_detail, name="worker-detail"),
    path("workers/<int:worker_id>/edit/", views.worker_edit, name="worker-edit"),
    path("workers/<int:worker_id>/reveal/", views.worker_reveal, name="worker-reveal"),
    path("workers/<int:worker_id>/password/", views.worker_password, name="worker-password"),
    path("workers/<int:worker_id>/active/", views.worker_active, name="worker-active"),
    path("workers/import/", views.roster_import, name="roster-import"),
    path("workers/import/template.csv", views.roster_template, name="roster-template"),
    path("workers/import/<int:job_id>/", views.roster_import_detail, name="roster-import-detail"),
    path("workers/import/<int:job_id>/retry/", views.roster_import_retry, name="roster-import-retry"),
    path("centres/", views.centre_list, name="centre-list"),
    path("centres/<int:centre_id>/", views.centre_detail, name="centre-detail"),
    path("teams/<int:team_id>/", views.team_detail, name="team-detail"),
    path("teams/<int:team_id>/delete/", views.team_delete, name="team-delete"),
]
