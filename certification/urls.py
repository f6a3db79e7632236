from django.urls import path

from certification import views

urlpatterns = [
    path("", views.my_certification, name="certification-mine"),
    path("path/", views.path_fragment, name="certification-path"),
    path("apply/", views.apply, name="certification-apply"),
    path("applications/<int:application_id>/withdraw/", views.withdraw, name="certification-withdraw"),
    path("exams/<int:sitting_id>/", views.exam_take, name="exam-take"),
    path("exams/practical/<int:attempt_id>/", views.exam_practical, name="exam-practical"),
    path(
        "exams/practical/<int:attempt_id>/items/<int:item_id>/image",
        views.exam_practical_image,
        name="exam-practical-image",
    ),
    path("certificates/<int:certificate_id>/pdf", views.certificate_download, name="certificate-pdf"),
    path("hr/", views.hr_people, name="certification-hr"),
    path("hr/nominate/<int:worker_id>/", views.hr_nominate, name="certification-hr-nominate"),
    path("hr/applications/", views.hr_applications, name="certification-hr-applications"),
    path("hr/applications/<int:application_id>/", views.hr_application, name="certification-hr-application"),
    path("hr/certificates/", views.hr_certificates, name="certification-hr-certificates"),
    path("hr/standard/", views.hr_standard, name="certification-hr-standard"),
    path("hr/training/", views.hr_training, name="certification-hr-training"),
    path("hr/exams/", views.hr_exams, name="certification-hr-exams"),
    path("hr/dashboard/", views.hr_dashboard, name="certification-hr-dashboard"),
]
