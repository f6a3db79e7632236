from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key, key)


@register.filter
def roster_column(field: str) -> str:
    from workforce.roster import column_label

    return column_label(field)


@register.simple_tag(takes_context=True)
def panels(context, page: str):
    """Render the panels other apps registered for `page` (aidou/panels.py)."""
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    from aidou.panels import panels_for

    request = context["request"]
    parts = [
        render_to_string(panel.template, {**panel_context, "panel": panel}, request=request)
        for panel, panel_context in panels_for(page, request)
    ]
    return mark_safe("".join(parts))  # noqa: S308 - each part is a rendered, escaped template


@register.filter
def pct(value) -> int:
    """A percentage as a whole number from 0 to 100, for the `pct-N` / `ml-pct-N` classes
    (static/css/aidou.css) that size bars without an inline style (the CSP allows none)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0
    return 0 if number != number else max(0, min(100, round(number)))  # NaN is 0


@register.filter
def fraction_pct(value) -> int:
    """A share from 0 to 1 as `pct` of it (the `share-N` classes)."""
    try:
        return pct(float(value) * 100)
    except (TypeError, ValueError):
        return 0
