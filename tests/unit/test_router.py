"""The primary/replica router: writes and recent writers go to the primary."""
import pytest

from webmail import db_router
from webmail.db_router import PrimaryReplicaRouter


@pytest.fixture
def replicas(settings, monkeypatch):
    settings.DATABASE_REPLICAS = ["replica0", "replica1"]
    reachable = {"replica0": True, "replica1": True}
    monkeypatch.setattr(db_router, "_reachable",
                        lambda alias: reachable[alias] or db_router.mark_down(alias))
    return reachable


def run_in_context(fn):
    """Run fn as a fresh request would: nothing written, nothing pinned yet."""
    import contextvars

    def fresh():
        db_router.pinned.set(False)
        db_router.wrote.set(False)
        return fn()

    return contextvars.copy_context().run(fresh)


def test_reads_go_to_a_replica_and_writes_to_the_primary(replicas):
    def scenario():
        router = PrimaryReplicaRouter()
        assert router.db_for_read(None) in ("replica0", "replica1")
        assert router.db_for_write(None) == "default"
    run_in_context(scenario)


def test_a_request_that_wrote_reads_its_own_write_from_the_primary(replicas):
    def scenario():
        router = PrimaryReplicaRouter()
        router.db_for_write(None)
        assert router.db_for_read(None) == "default"
    run_in_context(scenario)


def test_a_pinned_user_reads_from_the_primary(replicas):
    def scenario():
        db_router.pinned.set(True)
        assert PrimaryReplicaRouter().db_for_read(None) == "default"
    run_in_context(scenario)


def test_a_dead_replica_is_skipped_and_reads_fall_back_to_the_primary(replicas):
    replicas["replica0"] = False
    def scenario():
        router = PrimaryReplicaRouter()
        assert {router.db_for_read(None) for _ in range(20)} == {"replica1"}
        replicas["replica1"] = False
        assert router.db_for_read(None) == "default"
    run_in_context(scenario)
    assert db_router.healthy_replicas() == []


def test_a_dead_replica_is_tried_again_after_a_while(replicas, settings):
    db_router.mark_down("replica0", now=100)
    assert db_router.healthy_replicas(now=100) == ["replica1"]
    later = 100 + settings.REPLICA_RETRY_SECONDS + 1
    assert db_router.healthy_replicas(now=later) == ["replica0", "replica1"]


def test_migrations_run_on_the_primary_only():
    router = PrimaryReplicaRouter()
    assert router.allow_migrate("default", "accounts") is True
    assert router.allow_migrate("replica0", "accounts") is False



def test_the_queue_and_held_messages_are_read_from_the_primary_only(replicas):
    from django_tasks_db.models import DBTaskResult

    from accounts.models import Preferences
    from webmail.models import HeldMessage, QueueBeat, Snooze

    def scenario():
        router = PrimaryReplicaRouter()
        for model in (DBTaskResult, HeldMessage, QueueBeat, Snooze):
            assert router.db_for_read(model) == "default", model
        assert router.db_for_read(Preferences) in ("replica0", "replica1")
    run_in_context(scenario)
