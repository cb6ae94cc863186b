"""The private servers fault tests start: Redis that restarts empty or freezes, PostgreSQL that
restarts with its data."""
from __future__ import annotations

import psycopg
import pytest
import redis

from testkit.postgres_server import PostgresServer
from testkit.redis_server import RedisServer


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.cleanup()


def test_redis_restarts_empty_on_the_same_port_and_can_be_frozen(redis_server):
    client = redis.Redis.from_url(redis_server.url(), socket_timeout=0.5)
    client.set("kept", "no")
    port = redis_server.port

    redis_server.restart_empty()
    assert (redis_server.port, client.get("kept")) == (port, None)

    redis_server.pause()
    try:
        with pytest.raises(redis.exceptions.TimeoutError):
            client.ping()
    finally:
        redis_server.resume()
    assert redis.Redis.from_url(redis_server.url()).ping()

    redis_server.stop()
    with pytest.raises(redis.exceptions.ConnectionError):
        redis.Redis.from_url(redis_server.url(), socket_connect_timeout=0.5).ping()


@pytest.mark.slow  # initdb and two server starts
def test_postgres_restarts_with_its_data_and_refuses_connections_while_down():
    server = PostgresServer().start()
    try:
        with psycopg.connect(server.url(), autocommit=True) as connection:
            connection.execute("CREATE TABLE kept (value text)")
            connection.execute("INSERT INTO kept VALUES ('yes')")
        server.stop()
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(server.url(), connect_timeout=2)
        server.start()
        with psycopg.connect(server.url()) as connection:
            assert connection.execute("SELECT value FROM kept").fetchall() == [("yes",)]
    finally:
        server.cleanup()
    assert not server.workdir.exists()
