"""Writes of the childcare app: children, bookings, check-in and check-out."""
