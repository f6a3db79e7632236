"""URLconf for the benchmark server only (AIDOU_URLCONF=bench.urls): every production
route, plus each benchmark's bare-limit views under /bench/. Never used in production."""

from importlib import import_module

from django.urls import include, path

from bench.run import BENCHMARKS

urlpatterns = [
    *(pattern for name in BENCHMARKS for pattern in getattr(import_module(f"bench.{name}"), "urlpatterns", [])),
    path("", include("aidou.urls")),
]
