from rest_framework.throttling import UserRateThrottle


class PrincipalRateThrottle(UserRateThrottle):
    """Per person, or per API key for a client's key (every key its own budget)."""

    def get_cache_key(self, request, view):
        ident = getattr(request.user, "throttle_ident", None)
        if ident:
            return self.cache_format % {"scope": self.scope, "ident": ident}
        return super().get_cache_key(request, view)
