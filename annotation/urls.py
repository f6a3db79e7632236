from django.urls import path

from annotation.views import client as views

urlpatterns = [
    path("", views.project_list, name="client-projects"),
    path("projects/<int:project_id>/", views.project_detail, name="client-project-detail"),
    path("projects/<int:project_id>/export/", views.project_export, name="client-project-export"),
    path("imports/<int:job_id>/", views.import_detail, name="client-import-detail"),
    path("webhooks/", views.webhooks, name="client-webhooks"),
    path("webhooks/<int:webhook_id>/delete/", views.webhook_delete_view, name="client-webhook-delete"),
    path("keys/", views.api_keys, name="client-api-keys"),
    path("keys/<int:key_id>/revoke/", views.api_key_revoke_view, name="client-api-key-revoke"),
]
