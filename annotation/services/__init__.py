"""Writes of the annotation app, one module per area: api_keys, projects, imports,
exports, webhooks. Import the function you need from its module."""
