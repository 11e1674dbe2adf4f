"""Public REST API v1 (FastAPI, mounted at /api/v1): keys, schemas, routers, webhooks."""
