"""Writes of the annotation app: client organisations and API keys, projects, imports,
exports, batches, assignments, annotations, reviews and quality. One function per use case."""
