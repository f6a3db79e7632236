from rest_framework.throttling import UserRateThrottle


class PrincipalRateThrottle(UserRateThrottle):
    """Per person, or per API key for a client's key (every key its own budget).

    A fixed-window counter: one cache add-or-increment per request. DRF's default keeps
    the time of every request in the window in one cached list, re-read and re-written on
    each call, which costs more the higher the rate (thousands of entries at 3000/minute)."""

    def get_cache_key(self, request, view):
        ident = getattr(request.user, "throttle_ident", None)
        if ident:
            return self.cache_format % {"scope": self.scope, "ident": ident}
        return super().get_cache_key(request, view)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.wait_seconds = (window + 1) * self.duration - now
        key = f"{key}:{window}"
        if self.cache.add(key, 1, timeout=self.duration + 1):
            return True
        try:
            count = self.cache.incr(key)
        except ValueError:  # expired between add and incr: a new window
            self.cache.set(key, 1, timeout=self.duration + 1)
            return True
        return count <= self.num_requests

    def wait(self):
        return max(self.wait_seconds, 1)
