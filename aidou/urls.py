from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from aidou.health import healthz
from certification import public_urls as certification_public
from workforce import views as workforce_views

api_v1 = [
    # Annotation first: its workbench routes (next, submit) are the most called of all, and
    # Django tries patterns in order.
    path("", include("annotation.api.urls")),
    path("", include("workforce.api.urls")),
    path("", include("certification.api.urls")),
    path("", include("childcare.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up code as a script file (no inline script: aidou.csp).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Browsers and Django's admin ask for /favicon.ico whatever the page links.
    path("favicon.ico", lambda request: redirect(static("img/favicon.svg"), permanent=True)),
    # Certification's public pages (no login): the QR code's page, the keys, the status lists.
    path("verify/", include(certification_public.verify)),
    path(".well-known/", include(certification_public.well_known)),
    path("api/v1/", include(api_v1)),
    path("accounts/login/", workforce_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("client/", include("annotation.urls")),
    path("pay/", include("workforce.pay.urls")),
    path("schedule/", include("workforce.scheduling.urls")),
    path("certification/", include("certification.urls")),
    path("childcare/", include("childcare.urls")),
    path("", include("annotation.urls_staff")),
    path("", include("workforce.urls")),
]

# JSON for /api/ paths, the templates for pages (aidou.errors).
handler400 = "aidou.errors.bad_request"
handler403 = "aidou.errors.permission_denied"
handler404 = "aidou.errors.page_not_found"
handler500 = "aidou.errors.server_error"
