import sqlite3

import pytest

from ida.store import ExampleRow, Store


def test_phase_results_examples_and_metrics_land_together(store_url):
    store = Store(store_url)
    store.create_run("r", "permutation", "seed: 0\n")
    assert store.phase_result("r", 1, "amplify") is None
    example = ExampleRow("q1", 2, "p", "3", graph={"n": 1})
    store.finish_phase("r", 1, "amplify", {"examples": 1}, metrics={"student": {2: 0.5}}, examples=[example])
    assert store.phase_result("r", 1, "amplify") == {"examples": 1}
    assert store.metrics("r") == {1: {"student": {"2": 0.5}}}
    assert store.examples("r", 1)[0].graph == {"n": 1}
    store.finish_phase("r", 1, "review", {}, examples=[example.reviewed("accept", "3")])
    (row,) = store.examples("r", 1)
    assert (row.verdict, row.target, row.answer, row.cycle) == ("accept", "3", "3", 1)


def test_failed_transaction_leaves_nothing(store_url):
    store = Store(store_url)
    store.create_run("r", "t", "")

    def fail_midway(s: Store) -> None:
        s.event("r", "system", "half_written")
        raise RuntimeError("killed mid-transaction")

    with pytest.raises(RuntimeError):
        store.finish_phase("r", 1, "amplify", {}, examples=[ExampleRow("q", 1, "p", "a")], also=fail_midway)
    assert store.phase_result("r", 1, "amplify") is None and store.examples("r", 1) == []
    assert [e["kind"] for e in store.events("r")] == ["run_created"]


def test_event_log_is_append_only_and_wal(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    store.create_run("r", "t", "")
    store.event("r", "alice", "login", {"ok": True})
    assert [e["kind"] for e in store.events("r")] == ["run_created", "login"]
    raw = sqlite3.connect(tmp_path / "s.sqlite")  # another writer, not through the Store
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("UPDATE events SET actor = 'mallory'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("DELETE FROM events")
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_second_connection_sees_committed_phase(store_url):
    a, b = Store(store_url), Store(store_url)
    a.create_run("r", "t", "")
    a.finish_phase("r", 2, "distill", {"train_steps": 5})
    assert b.phase_result("r", 2, "distill") == {"train_steps": 5}
    assert b.run_row()["status"] == "running"


def test_postgres_event_log_is_append_only(pg_server):
    import psycopg

    url = pg_server.fresh_url()
    store = Store(url)
    store.create_run("r", "t", "")
    schema = url.rpartition("schema=")[2]
    with psycopg.connect(pg_server.url, autocommit=True) as raw:  # another writer, not through the Store
        for sql in ("UPDATE events SET actor = 'mallory'", "DELETE FROM events"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                raw.execute(f"SET search_path TO {schema}; {sql}")
    assert [e["kind"] for e in store.events("r")] == ["run_created"]


def test_a_store_at_a_newer_schema_version_is_refused_in_one_line(store_url):
    from ida.store.db import StoreError
    from ida.store.schema import VERSION

    Store(store_url).create_run("r", "t", "")
    bump = Store(store_url)
    bump._db.execute("UPDATE schema_version SET version = ?", (VERSION + 1,))
    bump.close()
    with pytest.raises(StoreError) as err:
        Store(store_url)
    assert f"schema is version {VERSION + 1}, newer than this code's {VERSION}" in str(err.value)
    assert "\n" not in str(err.value)


def test_an_unversioned_sqlite_store_is_upgraded_and_keeps_its_rows(tmp_path):
    from ida.store.schema import VERSION

    store = Store(tmp_path / "s.sqlite")
    store.create_run("r", "t", "")
    store.close()
    raw = sqlite3.connect(tmp_path / "s.sqlite")  # as a store written before schema versions existed
    raw.execute("DROP TABLE schema_version")
    raw.execute("DROP INDEX review_items_next")
    raw.commit()
    raw.close()
    again = Store(tmp_path / "s.sqlite")
    assert again.run_row()["id"] == "r"
    assert again._db.execute("SELECT version FROM schema_version").fetchone()[0] == VERSION


@pytest.mark.parametrize("url, says", [
    ("postgresql://ida:secret@127.0.0.1:5432/ida", "holds a password; put it in PGPASSWORD"),
    ("postgresql://ida@127.0.0.1:notaport/ida", "the port is not a number"),
    ("postgresql://ida@127.0.0.1:5432/", "names no database"),
    ("mysql://ida@127.0.0.1/ida", "unknown scheme 'mysql'"),
    ("sqlite://host/x.sqlite", "sqlite:///path"),
    ("postgresql://ida@127.0.0.1:5432/ida?schema=Bad-Name", "schema 'Bad-Name'"),
])
def test_a_malformed_store_url_is_one_line_without_the_password(url, says):
    from ida.store.db import StoreError

    with pytest.raises(StoreError) as err:
        Store(url)
    assert says in str(err.value) and "secret" not in str(err.value) and "\n" not in str(err.value)


def test_an_unreachable_server_and_a_wrong_user_are_one_line(pg_server, monkeypatch):
    from ida.store.db import StoreError
    from pg_server import free_port

    port = free_port()
    with pytest.raises(StoreError, match=rf"store.url postgresql://ida@127.0.0.1:{port}/ida: cannot connect"):
        Store(f"postgresql://ida@127.0.0.1:{port}/ida")
    monkeypatch.setenv("PGPASSWORD", "hunter2")
    with pytest.raises(StoreError) as err:
        Store(f"postgresql://nobody@127.0.0.1:{pg_server.port}/ida")
    assert 'role "nobody" does not exist' in str(err.value) and "hunter2" not in str(err.value)


def test_an_unversioned_postgres_store_is_upgraded_and_keeps_its_rows(pg_server):
    from ida.store.schema import VERSION

    url = pg_server.fresh_url()
    store = Store(url)
    store.create_run("r", "t", "")
    store._db.executescript("DROP TABLE schema_version; DROP INDEX review_items_key")  # as an older store
    store.close()
    again = Store(url)
    assert again.run_row()["id"] == "r"
    assert again._db.execute("SELECT version FROM schema_version").fetchone()[0] == VERSION
    assert again._db.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'review_items_key'"
                             " AND schemaname = current_schema()").fetchone() is not None


def test_a_connection_lost_mid_phase_rolls_the_phase_back(pg_server):
    import psycopg

    from ida.store.db import StoreError

    url = pg_server.fresh_url()
    store = Store(url)
    store.create_run("r", "t", "")
    backend = store._db.execute("SELECT pg_backend_pid()").fetchone()[0]

    def server_drops_us(s: Store) -> None:
        s.event("r", "system", "half_written")
        with psycopg.connect(pg_server.url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (backend,))

    with pytest.raises(StoreError, match="the connection failed"):
        store.finish_phase("r", 1, "amplify", {}, examples=[ExampleRow("q", 1, "p", "a")], also=server_drops_us)
    again = Store(url)
    assert again.phase_result("r", 1, "amplify") is None and again.examples("r", 1) == []
    assert [e["kind"] for e in again.events("r")] == ["run_created"]
