"""Reads of the certification app, each scoped to the actor."""
