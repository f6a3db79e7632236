from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from aidou.errors import PayloadTooLarge


class SafeJSONParser(JSONParser):
    """DRF's JSON parser lets RecursionError (deeply nested bodies) escape as a 500 and
    reads bodies of any size; this one answers 400 and 413 instead."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        if length and length.isdigit() and int(length) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise PayloadTooLarge(_("The JSON body is too large."))
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("The JSON body is nested too deeply.")) from exc
