"""The schema: the migrations build exactly the tables the code uses; SQLite is migrated at boot,
a server database by ``bmrisk-admin db upgrade``, and a service whose schema is behind refuses
to start, naming that command."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from service.admin import main as admin
from service.config import ConfigError
from service.storage import schema
from service.storage.settings import database_url as normalised
from service.storage.tables import metadata


def test_the_migrations_build_exactly_the_tables_of_the_code(database_url):
    engine = create_engine(normalised(database_url))
    try:
        schema.upgrade(engine)
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
        assert differences == []
        assert schema.revision(engine) == schema.head()
    finally:
        engine.dispose()


def test_a_schema_behind_is_migrated_at_boot_on_sqlite_and_refused_on_postgresql(
        make_app, database_url):
    engine = create_engine(normalised(database_url))
    try:
        with engine.begin() as connection:  # back to before the first revision
            command.downgrade(schema.alembic_config(connection), "base")
        assert schema.revision(engine) is None
        if database_url.startswith("sqlite"):
            make_app()
            assert schema.revision(engine) == schema.head()
        else:
            with pytest.raises(ConfigError, match="bmrisk-admin db upgrade"):
                make_app()
    finally:
        engine.dispose()


def test_an_empty_server_database_is_refused_until_upgraded(postgres, monkeypatch, capsys):
    from service import create_app

    url = postgres.create_database()
    monkeypatch.setenv("BMRISK_DATABASE_URL", url)
    with pytest.raises(ConfigError, match=r"none \(empty database\).*bmrisk-admin db upgrade"):
        create_app({"TESTING": True})
    assert admin(["db", "check"]) == 1
    assert "bmrisk-admin db upgrade" in capsys.readouterr().err
    assert admin(["db", "upgrade"]) == 0
    assert admin(["db", "check"]) == 0
    app = create_app({"TESTING": True})
    assert app.test_client().post("/v1/risk", json={"histology": "squamous"}).status_code == 200
    from service.storage import EXTENSION

    app.extensions[EXTENSION].engine.dispose()


def test_a_schema_from_a_newer_release_is_refused(database_url, tmp_path):
    engine = create_engine(normalised(database_url))
    try:
        schema.upgrade(engine)
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        with pytest.raises(schema.SchemaBehindError, match="newer release"):
            schema.check(engine)
    finally:
        engine.dispose()
