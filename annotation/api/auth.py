from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, Throttled

from aidou.auth_guard import API_KEY, auth_guard_failure, auth_guard_wait, client_address
from annotation.principals import ApiKeyPrincipal
from annotation.services.api_keys import KEY_PREFIX, api_key_authenticate


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Token aidou_...`: a client organisation's key. Other tokens are left
    to DRF's TokenAuthentication (staff scripts); a bad or revoked client key is a 401.
    Within aidou.auth_guard's limits: a refused key counts against its prefix and the
    caller's address, and a locked one is answered 429 before the key is looked at."""

    keyword = "Token"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if len(header) != 2 or header[0].lower() != self.keyword.lower().encode():
            return None
        key = header[1].decode("latin-1")
        if not key.startswith(KEY_PREFIX):
            return None
        account = "key:" + key.split("_")[1] if key.count("_") >= 2 else None
        address = client_address(request)
        wait = auth_guard_wait(path=API_KEY, account=account, address=address)
        if wait:
            raise Throttled(wait=wait)
        api_key = api_key_authenticate(key)
        if api_key is None:
            auth_guard_failure(
                path=API_KEY, account=account, address=address, target_type="annotation.apikey", target_id=account or ""
            )
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
