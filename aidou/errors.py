"""Domain errors raised by services, and the one API exception handler.

Services raise these; views do not catch them one by one: the handler below turns them
into DRF's error shape with the right status, and turns Django's request-size errors
into JSON 4xx answers instead of 500s.
"""

import logging

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

log = logging.getLogger(__name__)


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
    elif isinstance(exc, OverflowError | DataError):
        # A value no column can hold reached the database: a number past 64 bits in a path,
        # a filter or a form (SQLite's driver raises OverflowError, PostgreSQL a DataError).
        # Where the input is read, the parsers and routes refuse what they can; this is the
        # net under all of them. Logged, so a check missing upstream is seen.
        log.warning("value out of range for the database: %s", exc)
        return Response({"detail": _("A value in the request is out of range.")}, status=400)
    return exception_handler(exc, context)


# --- Django's error views, for what happens outside DRF's views ----------------------------
# An unknown /api/ URL, an exception a view did not turn into an answer, a refused host:
# the API answers JSON in DRF's shape ({"detail": ...}) even then, the pages their templates.


def _for_api(request) -> bool:
    return request.path_info.startswith("/api/")


def bad_request(request, exception):
    if _for_api(request):
        return JsonResponse({"detail": _("Bad request.")}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _for_api(request):
        return JsonResponse({"detail": _("You do not have permission to perform this action.")}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _for_api(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _for_api(request):
        return JsonResponse({"detail": _("Something went wrong on our side; please try again later.")}, status=500)
    return defaults.server_error(request)
