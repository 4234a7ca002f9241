"""A scratch PostgreSQL database for a benchmark, on the server the tests use."""

from __future__ import annotations

import os

POSTGRES = os.environ.get("MUTUALS_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")


def scratch_database(name: str, *, drop_only: bool = False) -> str:
    """Drop database ``name`` if it exists and (unless ``drop_only``) create it empty; its
    URL."""
    import psycopg

    with psycopg.connect(POSTGRES, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        if not drop_only:
            connection.execute(f"CREATE DATABASE {name}")
    return POSTGRES.rsplit("/", 1)[0] + f"/{name}"
