"""The public side of certification: no login, nothing but what a verifier needs.

`/verify/<code>/` (the QR code's page: masked name, level, date, valid or revoked),
`/.well-known/jwks.json` (every centre's public keys, retired ones too), each centre's
revocation status list and issuer profile. Each answers from one or two small queries
and may be cached briefly by anyone.
"""

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from aidou.masking import mask_name
from certification import credentials, selectors
from certification.models import Certificate
from workforce.models import Centre


@require_safe
@cache_control(public=True, max_age=60)
def certificate_verify_page(request, code: str):
    certificate = selectors.certificate_by_verify_code(code)
    return render(
        request,
        "certification/verify.html",
        {
            "masked_name": mask_name(certificate.holder_name),
            "level": certificate.level,
            "issued_on": certificate.issued_on,
            "valid": certificate.status == Certificate.Status.VALID,
            "revoked_on": certificate.revoked_at,
            "number": certificate.number,
            "issuing_body": certificate.issuing_body,
        },
    )


@require_safe
@cache_control(public=True, max_age=300)
def jwks(request):
    return JsonResponse(credentials.jwks(), content_type="application/jwk-set+json")


@require_safe
@cache_control(public=True, max_age=60)
def status_list(request, centre_id: int):
    """The centre's BitstringStatusListCredential, as a VC-JWT."""
    if not Centre.objects.filter(pk=centre_id).exists():
        return HttpResponse(status=404)
    return HttpResponse(credentials.status_list_credential(centre_id), content_type="application/vc+jwt")


@require_safe
@cache_control(public=True, max_age=3600)
def issuer_profile(request, centre_id: int):
    """The issuer's Open Badges profile: who signs the centre's credentials."""
    centre = Centre.objects.filter(pk=centre_id).only("name").first()
    if centre is None:
        return HttpResponse(status=404)
    return JsonResponse(
        {
            "@context": [credentials.VC_CONTEXT, credentials.OB_CONTEXT],
            "id": credentials.issuer_id(centre_id),
            "type": ["Profile"],
            "name": f"{centre.name}（人工智能训练师职业技能等级认定）",
        },
        json_dumps_params={"ensure_ascii": False},
    )
