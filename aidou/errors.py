"""Domain errors raised by services, and the one API exception handler.

Services raise these; views do not catch them one by one: the handler below turns them
into DRF's error shape with the right status, and turns Django's request-size errors
into JSON 4xx answers instead of 500s.
"""

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response


class DomainError(Exception):
    """A business rule said no. `field` names the input at fault, when one is."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def as_data(self) -> dict:
        if self.field:
            return {self.field: [self.message]}
        return {"detail": self.message}


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT


class PermissionDenied(DomainError):
    status_code = status.HTTP_403_FORBIDDEN


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


def api_exception_handler(exc, context):
    # Imported here: rest_framework.views reads the parser settings, which import this module.
    from rest_framework.views import exception_handler

    if isinstance(exc, DomainError):
        return Response(exc.as_data(), status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(_("The request body is too large."))
    elif isinstance(exc, TooManyFilesSent | TooManyFieldsSent):
        return Response({"detail": _("Too many files or fields in one request.")}, status=400)
    elif isinstance(exc, DjangoValidationError):
        data = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    return exception_handler(exc, context)
