from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from annotation.principals import ApiKeyPrincipal
from annotation.services.api_keys import KEY_PREFIX, api_key_authenticate


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Token aidou_...`: a client organisation's key. Other tokens are left
    to DRF's TokenAuthentication (staff scripts); a bad or revoked client key is a 401."""

    keyword = "Token"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if len(header) != 2 or header[0].lower() != self.keyword.lower().encode():
            return None
        key = header[1].decode("latin-1")
        if not key.startswith(KEY_PREFIX):
            return None
        api_key = api_key_authenticate(key)
        if api_key is None:
            raise AuthenticationFailed(_("Invalid or revoked API key."))
        return ApiKeyPrincipal(api_key_id=api_key.pk, organisation_id=api_key.organisation_id), api_key

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI docs describe client keys (a "Token" header, as staff tokens)."""

    target_class = "annotation.api.auth.ApiKeyAuthentication"
    name = "clientApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A client organisation's API key: `Authorization: Token aidou_...`",
        }
