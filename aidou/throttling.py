from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.redis import RedisCache
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
        return self.allow_key(key)

    def allow_key(self, key: str) -> bool:
        now = self.timer()
        window = int(now // self.duration)
        self.wait_seconds = (window + 1) * self.duration - now
        return count_in_window(self.cache, f"{key}:{window}", self.duration + 1) <= self.num_requests

    def wait(self):
        return max(self.wait_seconds, 1)


def person_throttle_allows(user) -> bool:
    """PrincipalRateThrottle's answer for a signed-in person, counted in the same window,
    for views that answer their common case without DRF (the workbench's next and submit)."""
    throttle = PrincipalRateThrottle()
    if throttle.rate is None:
        return True
    return throttle.allow_key(throttle.cache_format % {"scope": throttle.scope, "ident": user.pk})


def count_in_window(cache, key: str, timeout: int) -> int:
    """Add one to the window's counter and return it; the counter expires with its window."""
    if cache is default_cache:  # DRF's throttles hold the proxy; the backend is behind it
        cache = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(cache, RedisCache):
        # One round trip instead of Django's three (add, then exists + incr): create the
        # counter with its expiry if it is new, then count. Django stores ints as plain
        # Redis integers, so INCR works on them.
        key = cache.make_and_validate_key(key)
        pipe = cache._cache.get_client(key, write=True).pipeline(transaction=False)
        pipe.set(key, 0, ex=timeout, nx=True)
        pipe.incr(key)
        return pipe.execute()[1]
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: a new window
        cache.set(key, 1, timeout=timeout)
        return 1
