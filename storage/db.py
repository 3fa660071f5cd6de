"""Engine, sessions and automatic migrations.

Migrations run on every start (``open_database``), so a new install and an upgraded one reach the
same schema through the same Alembic revisions, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from reelwright.errors import StorageError

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


#: Any fixed number: the PostgreSQL advisory lock every Reelwright process takes to migrate.
MIGRATION_LOCK_ID = 0x5EE1_0001


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest revision, one process at a time.

    Processes starting together on a fresh database (a bot and a worker, two CLI calls) would
    otherwise both create the tables and one would fail with "table already exists": SQLite takes
    a file lock beside the database, PostgreSQL a transaction-scoped advisory lock.
    """
    config = alembic_config()
    with migration_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """An exclusive file lock next to a SQLite database file; nothing for other databases."""
    database = sqlite_file(engine.url)
    if database is None:
        yield
        return
    try:
        handle = open(f"{database}.migrate-lock", "a+b")  # held across the yield
    except OSError:  # a read-only folder: nobody can migrate there anyway, opening reports it
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def open_database(url: str) -> sessionmaker[Session]:
    """Create the database if needed, bring it to the latest schema, and return a session factory."""
    path = sqlite_file(make_url(url))
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(f"Cannot create the data directory {path.parent}: {error.strerror}.") from error
    engine = make_engine(url)
    try:
        migrate(engine)
        with engine.begin() as connection:  # a read-only file passes migrations when already current
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = version_num")
    except OperationalError as error:
        reason = str(error.orig) if error.orig else str(error)
        raise StorageError(f"The database at {safe_url(url)} cannot be used: {reason}.") from error
    return sessionmaker(engine, expire_on_commit=False)


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite database URL, a plain path or a URI ("file:/path/db?mode=ro"); None otherwise."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database.removeprefix("file:").partition("?")[0])


#: Query parameters that carry credentials (``?password=…`` is how some drivers take it).
SECRET_QUERY_KEYS = frozenset({"password", "passwd", "pwd", "pass", "secret", "token", "sslpassword", "api_key"})


def safe_url(url: str) -> str:
    """The URL without its password, in its user part or its query, for messages and logs."""
    parsed = make_url(url)
    hidden = {key: "xxxxx" for key in parsed.query if key.lower() in SECRET_QUERY_KEYS}
    return parsed.update_query_dict(hidden).render_as_string(hide_password=True)
