"""Reads of the childcare app. Children's data: their guardians, childcare staff of the
centre and admins only."""
