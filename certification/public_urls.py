"""Public addresses (no login): included at `/verify/` and `/.well-known/` by aidou/urls.py."""

from django.urls import path

from certification import public

verify = [
    path("issuers/<int:centre_id>/", public.issuer_profile, name="certification-issuer"),
    path("status/<int:centre_id>/", public.status_list, name="certification-status-list"),
    path("<str:code>/", public.certificate_verify_page, name="certificate-verify"),
]

well_known = [
    path("jwks.json", public.jwks, name="certification-jwks"),
]
