from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key, key)


@register.filter
def roster_column(field: str) -> str:
    from workforce.roster import column_label

    return column_label(field)
