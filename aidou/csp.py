"""The Content-Security-Policy of every answer (docs/decisions/0010-login-abuse-and-csp.md).

Self only, and nothing inline: scripts come from static/js/, styles from static/css/, and
no page has a `<script>` with code, an `on...=` handler or a `style=` attribute (sizes come
from classes, colours from data attributes that static/js/page.js applies through the DOM,
which the policy allows). Images may be `data:` and `blob:` URLs (thumbnails drawn in the
page, the workbench's canvas). JSON and file answers carry the policy too: harmless, and
a file opened in the browser then cannot run anything either.

The API's interactive docs are third-party pages (Swagger UI, Redoc) that write `<style>`
elements at run time: they alone may use inline styles, never inline scripts.
"""

_STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "worker-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
_DOCS = {**_STRICT, "style-src": "'self' 'unsafe-inline'", "worker-src": "'self' blob:"}
_DOCS_PATHS = ("/api/v1/docs/", "/api/v1/redoc/")


def _header(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


STRICT_POLICY = _header(_STRICT)
DOCS_POLICY = _header(_DOCS)


class ContentSecurityPolicyMiddleware:
    """Adds the policy to every answer that has none of its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response.headers:
            path = request.path_info
            response.headers["Content-Security-Policy"] = DOCS_POLICY if path.startswith(_DOCS_PATHS) else STRICT_POLICY
        return response
