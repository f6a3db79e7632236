"""Panels other apps add to a page they do not own.

The apps depend one way (workforce <- annotation <- certification, workforce <- childcare),
yet a person's pages gather what every app knows of them: the annotator's home shows their
earnings (workforce), their path to the next certificate (certification) and their
children's care today (childcare). The page's app cannot import those apps, so each app
registers its panels here when Django starts (`AppConfig.ready`), and the page renders
whatever is registered for it with `{% panels "<page>" %}` (aidou_tags).

A panel's `context` gets the request and returns the template's context, or None when
the panel has nothing for this person (it is then left out). It runs its own selectors,
so keep it to a few queries.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

# The pages that take panels, and where they stand.
ANNOTATOR_HOME = "annotator_home"  # /work/, below the day's figures
HOME = "home"  # /, everyone's start page


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    context: Callable[[HttpRequest], dict | None]
    order: int = 100


_registry: dict[str, dict[str, Panel]] = {}


def panel_register(page: str, panel: Panel) -> None:
    """Add (or replace, by name) a panel of `page`. Call it from an AppConfig.ready()."""
    _registry.setdefault(page, {})[panel.name] = panel


def panels_for(page: str, request: HttpRequest) -> list[tuple[Panel, dict]]:
    """The panels of `page` that have something for the person asking, in order."""
    shown = []
    for panel in sorted(_registry.get(page, {}).values(), key=lambda p: (p.order, p.name)):
        context = panel.context(request)
        if context is not None:
            shown.append((panel, context))
    return shown
