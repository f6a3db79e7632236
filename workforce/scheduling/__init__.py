"""Shift types, weekly rosters, published shifts and their events, attendance and absences
(models in workforce/models.py; decision 0008)."""
