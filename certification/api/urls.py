from django.urls import path

from certification.api import exams, views

urlpatterns = [
    path("certificates/", views.CertificateListView.as_view(), name="certificate-list-api"),
    path(
        "certificates/<int:certificate_id>/credential/",
        views.CertificateCredentialView.as_view(),
        name="certificate-credential",
    ),
    path("credentials/verify/", views.CredentialVerifyView.as_view(), name="credential-verify"),
    path("exams/attempts/<int:attempt_id>/answers/", exams.AttemptAnswerView.as_view(), name="exam-answer"),
    path("exams/attempts/<int:attempt_id>/next/", exams.PracticalNextView.as_view(), name="exam-practical-next"),
    path(
        "exams/attempts/<int:attempt_id>/items/<int:item_id>/submit/",
        exams.PracticalSubmitView.as_view(),
        name="exam-practical-submit",
    ),
    path(
        "exams/attempts/<int:attempt_id>/items/<int:item_id>/skip/",
        exams.PracticalSkipView.as_view(),
        name="exam-practical-skip",
    ),
    path(
        "exams/attempts/<int:attempt_id>/items/<int:item_id>/heartbeat/",
        exams.PracticalHeartbeatView.as_view(),
        name="exam-practical-heartbeat",
    ),
]
