"""The read-only JSON API at /api/v1/ (issue 16): token authentication, scoped reads, problem+json errors, OpenAPI 3.1."""
