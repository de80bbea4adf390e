"""The benchmark's children run in the environment a user's shell would give them."""

from __future__ import annotations

from bench import run


def test_the_children_do_not_inherit_the_allocator_default_polars_wrote(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "USER_JEMALLOC_CONF", None)
    monkeypatch.setenv("_RJEM_MALLOC_CONF", "dirty_decay_ms:500,muzzy_decay_ms:1000")  # what importing Polars writes

    assert "_RJEM_MALLOC_CONF" not in run._child_env(tmp_path)


def test_the_users_own_allocator_setting_reaches_the_children(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "USER_JEMALLOC_CONF", "dirty_decay_ms:5000")
    monkeypatch.setenv("_RJEM_MALLOC_CONF", "dirty_decay_ms:500,muzzy_decay_ms:1000")

    assert run._child_env(tmp_path)["_RJEM_MALLOC_CONF"] == "dirty_decay_ms:5000"
