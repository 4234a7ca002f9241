"""The REST API under /api/v1/: thin endpoints over the same services and permissions as
the web pages."""
