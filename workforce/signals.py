"""Signals other apps may follow. Sent after the transaction that caused them commits."""

from django.dispatch import Signal

# A roster publication added, moved or cancelled shifts: `event_ids` (list[int]) are the new
# ShiftEvent ids, `centre_id` the roster's centre. Followers that miss one (a crash) catch up
# with workforce.selectors.shift_events_after(last_seen_id).
shifts_published = Signal()
