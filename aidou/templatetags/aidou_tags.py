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
