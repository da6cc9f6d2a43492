"""The database schema's revision: read it, compare it with this code's, and upgrade it.

Alembic runs the migrations in ``migrations/`` on a connection opened here (no alembic.ini):
at boot for SQLite, and by ``bmrisk-admin db upgrade`` for a server database, whose schema an
operator changes deliberately (a migration Job) rather than whichever replica boots first.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

UPGRADE_COMMAND = "bmrisk-admin db upgrade"


class SchemaBehindError(RuntimeError):
    """The database's schema is not the one this code needs; the message says what to run."""


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for these migrations, run on ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The revision this code needs."""
    found = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert found is not None, "the migrations folder has no revision"
    return found


def revision(engine: Engine) -> str | None:
    """The database's revision (None: no schema yet)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the schema to this code's revision, in one transaction."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")


def check(engine: Engine) -> None:
    """Raise SchemaBehindError unless the database is at this code's revision."""
    found, needed = revision(engine), head()
    if found == needed:
        return
    if found is not None and found not in _known():
        raise SchemaBehindError(
            f"the database schema is at revision {found}, which this version of bmrisk does "
            f"not know (it needs {needed}): the database was upgraded by a newer release")
    raise SchemaBehindError(
        f"the database schema is at revision {found or 'none (empty database)'}, this "
        f"version needs {needed}: run `{UPGRADE_COMMAND}` with the same BMRISK_DATABASE_URL")


def _known() -> set[str]:
    scripts = ScriptDirectory.from_config(alembic_config())
    return {script.revision for script in scripts.walk_revisions()}
