"""Reads of the annotation app, each scoped to the actor (client organisation or staff)."""
