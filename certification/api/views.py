"""Certification's API: certificates (a holder sees their own, HR their centre's), each
one's signed credential, and the public verification of a credential."""

import os

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, views
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from aidou.permissions import ANYONE
from certification import credentials, selectors
from certification.models import Certificate


class CertificateSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="number", read_only=True)
    holder = serializers.SerializerMethodField()
    level = serializers.SerializerMethodField()
    verify_url = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = ["id", "code", "holder", "level", "issued_on", "status", "verify_url"]
        read_only_fields = fields

    def get_holder(self, certificate: Certificate) -> dict:
        return {"id": certificate.holder_id, "name": certificate.holder_name}

    def get_level(self, certificate: Certificate) -> dict:
        level = certificate.level
        return {"grade": level.grade, "name": level.name, "title": level.title}

    def get_verify_url(self, certificate: Certificate) -> str:
        return credentials.verify_url(certificate)


class CertificateListView(generics.ListAPIView):
    """`GET /api/v1/certificates/`: the caller's own certificates; HR's and centre
    managers' also their centre's (network admins: all), newest first."""

    serializer_class = CertificateSerializer

    def get_queryset(self):
        return selectors.certificates_visible_to(self.request.user).order_by("-issued_on", "-id")


class CredentialOutSerializer(serializers.Serializer):
    credential = serializers.CharField()


class CertificateCredentialView(views.APIView):
    """`GET /api/v1/certificates/{id}/credential/` -> `{"credential": "<compact JWS>"}`."""

    @extend_schema(responses={200: CredentialOutSerializer})
    def get(self, request, certificate_id: int):
        certificate = selectors.certificate_get(request.user, certificate_id)
        return Response({"credential": certificate.credential})


class VerifyInSerializer(serializers.Serializer):
    credential = serializers.CharField(trim_whitespace=True, max_length=20_000)


class VerdictSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    revoked = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    code = serializers.CharField(allow_null=True)


class VerifyThrottle(AnonRateThrottle):
    """Verifiers are anonymous and may check many credentials: a wider budget than 'anon'."""

    scope = "credential_verify"
    rate = os.environ.get("THROTTLE_VERIFY", "600/minute")

    def get_rate(self):
        return self.rate


class CredentialVerifyView(views.APIView):
    """`POST /api/v1/credentials/verify/` with `{"credential": "..."}`: anyone, no login.
    200 with the verdict (a tampered, forged, expired, unknown-key or revoked credential is
    `valid: false` with the reason); 400 for a body that is not a credential at all."""

    authentication_classes: list = []
    principals = (ANYONE,)
    throttle_classes = [VerifyThrottle]

    @extend_schema(request=VerifyInSerializer, responses={200: VerdictSerializer})
    def post(self, request):
        body = VerifyInSerializer(data=request.data)
        if not body.is_valid():
            raise ValidationError({"credential": [_("Send the credential as a compact JWS string.")]})
        try:
            verdict = credentials.credential_verify(body.validated_data["credential"])
        except credentials.NotACredential as exc:
            raise ValidationError({"credential": [str(exc)]}) from exc
        return Response(verdict.as_data())
