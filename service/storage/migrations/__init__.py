"""Alembic migrations of the service's database (run by ``service.storage.schema``)."""
