"""The tests' PostgreSQL server (``postgres_server``, tests/fixtures/postgres.py): reached through its SQLAlchemy URL
with psycopg 3 and the tests' role, row locks that other connections skip (what the outbox claims rely on),
TCP on 127.0.0.1 only, and nothing left behind once it stops."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from tests.fixtures.postgres import PostgresServer, running_postgres

CLAIM = sa.text("SELECT id FROM claims_test ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED")


@pytest.fixture()
def engine(postgres_server: PostgresServer) -> Iterator[Engine]:
    engine = sa.create_engine(postgres_server.url)
    try:
        yield engine
    finally:
        engine.dispose()


def accepts_tcp(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(5)
        return probe.connect_ex((host, port)) == 0


def test_the_url_reaches_the_tests_database_as_the_tests_role(postgres_server: PostgresServer, engine: Engine) -> None:
    assert engine.dialect.driver == "psycopg"
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT current_user, current_database(), host(inet_server_addr()), inet_server_port(), version()")
        ).one()
    assert row[:4] == (postgres_server.user, postgres_server.database, "127.0.0.1", postgres_server.port)
    assert row[4].startswith("PostgreSQL ")
    assert postgres_server.url == (
        f"postgresql+psycopg://{postgres_server.user}:{postgres_server.password}"
        f"@127.0.0.1:{postgres_server.port}/{postgres_server.database}"
    )


def test_a_wrong_password_is_refused(postgres_server: PostgresServer) -> None:
    wrong = sa.make_url(postgres_server.url).set(password=postgres_server.password + "x")
    engine = sa.create_engine(wrong)
    try:
        with pytest.raises(OperationalError, match="password authentication failed"), engine.connect():
            pass
    finally:
        engine.dispose()


def test_the_server_listens_on_127_0_0_1_only(postgres_server: PostgresServer, engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(sa.text("SHOW listen_addresses")).scalar_one() == "127.0.0.1"
    assert accepts_tcp("127.0.0.1", postgres_server.port)
    assert not accepts_tcp("127.0.0.2", postgres_server.port)  # also loopback, but not the address it listens on


def claim(conn: Connection) -> int | None:
    return conn.execute(CLAIM).scalar_one_or_none()


def test_for_update_skip_locked_skips_the_row_another_transaction_holds(engine: Engine) -> None:
    with engine.begin() as setup:
        setup.execute(sa.text("DROP TABLE IF EXISTS claims_test"))
        setup.execute(sa.text("CREATE TABLE claims_test (id integer PRIMARY KEY, claimed_by text)"))
        setup.execute(sa.text("INSERT INTO claims_test (id) VALUES (1), (2)"))
    try:
        with engine.connect() as first, engine.connect() as second, engine.connect() as third:
            for conn in (first, second, third):
                conn.execute(sa.text("SET lock_timeout = '5s'"))  # a claim that waited would fail, not hang
                conn.commit()
            with first.begin():
                assert claim(first) == 1
                with second.begin():
                    assert claim(second) == 2  # skips row 1, which the first transaction holds
                    with third.begin():
                        assert claim(third) is None  # both rows held: nothing to claim, and no wait
                        with pytest.raises(OperationalError, match="could not obtain lock"):
                            third.execute(sa.text("SELECT id FROM claims_test WHERE id = 1 FOR UPDATE NOWAIT"))
                    second.execute(sa.text("UPDATE claims_test SET claimed_by = 'second' WHERE id = 2"))
                first.execute(sa.text("UPDATE claims_test SET claimed_by = 'first' WHERE id = 1"))
            with third.begin():
                assert claim(third) == 1  # released when the first transaction committed
            rows = third.execute(sa.text("SELECT id, claimed_by FROM claims_test ORDER BY id")).all()
            assert [tuple(r) for r in rows] == [(1, "first"), (2, "second")]
    finally:
        with engine.begin() as cleanup:
            cleanup.execute(sa.text("DROP TABLE claims_test"))


def test_a_stopped_server_leaves_no_directory_and_no_listener() -> None:
    with running_postgres() as server:
        assert (server.directory / "data" / "PG_VERSION").is_file()
        assert accepts_tcp("127.0.0.1", server.port)
    assert not server.directory.exists()
    assert not accepts_tcp("127.0.0.1", server.port)
