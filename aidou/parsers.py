"""The one reading of JSON from outside, and the request parsers every API view uses.

`json_loads_untrusted` is what every JSON body, COCO file and form field holding JSON
goes through: strict JSON (no NaN or Infinity, no float that only fits as infinity), a
nesting too deep for the parser is an error rather than a RecursionError, and no string
PostgreSQL or UTF-8 cannot store (aidou.text). The parsers below put it, and the same
text check for form fields, behind DRF; settings name them as the defaults, and
tests/test_api_hardening.py checks that no view names another.
"""

import codecs
import json
from math import isfinite

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

from aidou.text import json_unstorable, unstorable


class UntrustedJSONError(ValueError):
    """The text is not JSON we accept; the message says why, for a person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def unstorable_message() -> str:
    return _("Text may not contain NUL characters or unpaired surrogates.")


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not isfinite(value):
        raise ValueError(f"{text[:20]} is too large a number")
    return value


def json_node_bound(raw: bytes | str) -> int:
    """At least the number of values and keys in the document (every one after the first
    follows a `,`, a `:`, a `[` or a `{`; the same characters inside strings only make the
    bound larger): what parsing it will allocate, counted without parsing it."""
    if isinstance(raw, str):
        return raw.count(",") + raw.count(":") + raw.count("[") + raw.count("{") + 1
    return raw.count(b",") + raw.count(b":") + raw.count(b"[") + raw.count(b"{") + 1


def json_loads_untrusted(raw: bytes | str, *, max_nodes: int | None = None):
    """Parse JSON from outside, or raise UntrustedJSONError saying why not (bad syntax or
    encoding, NaN / Infinity / a float too large to be one, too deep, more than
    `max_nodes` values when given, a NUL or lone surrogate in a string)."""
    if max_nodes is not None and json_node_bound(raw) > max_nodes:
        raise UntrustedJSONError(_("The JSON document has more than %(n)d values.") % {"n": max_nodes})
    try:
        data = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise UntrustedJSONError(_("The JSON body is nested too deeply.")) from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise UntrustedJSONError(_("JSON parse error - %(error)s") % {"error": str(exc)[:200]}) from None
    # Escapes (\u0000, \ud800) are the only way JSON text decoded from UTF-8 gets either
    # character into a string: without a backslash-u there is nothing to walk for.
    escaped = "\\u" in raw if isinstance(raw, str) else b"\\u" in raw
    if (escaped or (isinstance(raw, str) and unstorable(raw))) and json_unstorable(data):
        raise UntrustedJSONError(unstorable_message())
    return data


class SafeJSONParser(JSONParser):
    """DRF's JSON parser with json_loads_untrusted's rules: a deeply nested body, NaN,
    1e999, a NUL or a lone surrogate is a 400, never a 500 (DRF's own lets RecursionError
    through). Oversize bodies are refused by Django (DATA_UPLOAD_MAX_MEMORY_SIZE) and
    answered 413 by aidou.errors.api_exception_handler."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
        try:
            return json_loads_untrusted(text)
        except UntrustedJSONError as exc:
            raise ParseError(exc.message) from None


def _refuse_unstorable_fields(data) -> None:
    for values in data.lists():
        for value in values[1]:
            if isinstance(value, str) and unstorable(value):
                raise ParseError(unstorable_message())
    for key in data:
        if unstorable(key):
            raise ParseError(unstorable_message())


class SafeFormParser(FormParser):
    """Form fields holding a NUL are a 400 (Django already replaces undecodable bytes)."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _refuse_unstorable_fields(data)
        return data


class SafeMultiPartParser(MultiPartParser):
    """As SafeFormParser, for multipart bodies' text fields (file names are cleaned where
    they are stored: aidou.text.clean_file_name)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        _refuse_unstorable_fields(parsed.data)
        return parsed


SAFE_PARSERS = (SafeJSONParser, SafeFormParser, SafeMultiPartParser)
