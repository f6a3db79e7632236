from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    """DRF's JSON parser lets RecursionError (a deeply nested body) escape as a 500; this
    one answers 400. Oversize bodies are refused by Django (DATA_UPLOAD_MAX_MEMORY_SIZE)
    and answered 413 by aidou.errors.api_exception_handler."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("The JSON body is nested too deeply.")) from exc
