"""Settings and the version sit at the bottom of the import graph: lake/, feeds/ and transforms/ never
reach the command-line package `paperlake`, neither at import time nor through a deferred import."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import settings

ROOT = Path(__file__).resolve().parents[1]
LOWER_PACKAGES = ("lake", "feeds", "transforms", "settings")


def lower_modules() -> list[str]:
    return sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for package in LOWER_PACKAGES
        for path in (ROOT / package).rglob("*.py")
    )


def test_importing_every_lower_module_leaves_the_cli_package_unimported():
    modules = lower_modules()
    probe = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'paperlake' or m.startswith('paperlake.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]", f"imported the CLI package: {result.stdout}"
    assert "feeds.hf_daily" in modules and "lake.writes" in modules and "transforms.dates" in modules


def test_no_lower_module_imports_the_cli_package_even_inside_a_function():
    offenders = []
    for package in LOWER_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                offenders += [f"{path.relative_to(ROOT)}:{node.lineno} imports {n}" for n in names if n.split(".")[0] == "paperlake"]
    assert offenders == []


def test_the_version_is_the_projects_and_the_cli_package_re_exports_it():
    import paperlake
    from paperlake import config

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    assert settings.__version__ == declared == paperlake.__version__
    assert config.resolve_lake_uri is settings.resolve_lake_uri


def test_the_lake_uri_says_where_it_came_from():
    assert settings.lake_uri_of("s3://b/lake", {"PAPERLAKE_LAKE": "/env"}) == settings.LakeUri("s3://b/lake", "flag")
    assert settings.lake_uri_of(None, {"PAPERLAKE_LAKE": "/env"}) == settings.LakeUri("/env", "env")
    default = settings.lake_uri_of(None, {})
    assert default == settings.LakeUri("./data/lake", "default")
    assert default.describe() == "./data/lake (from the default)"


def test_validation_docs_sit_beside_a_local_lake_unless_told(tmp_path):
    lake_uri = str(tmp_path / "data" / "lake")
    assert settings.validation_docs_dir(lake_uri, {}) == str(tmp_path / "data" / "validation")
    assert settings.validation_docs_dir(lake_uri, {"PAPERLAKE_DOCS": "/docs"}) == "/docs"
    assert settings.validation_docs_dir("s3://bucket/lake", {}).endswith("data/validation")


def test_memory_defaults_return_freed_pages_unless_the_user_set_the_allocator():
    environ: dict[str, str] = {}
    settings.memory_defaults(environ, ["paperlake", "run"])
    assert environ == {settings.JEMALLOC_CONF_ENV: settings.JEMALLOC_CONF}
    own = {settings.JEMALLOC_CONF_ENV: "dirty_decay_ms:5000"}
    settings.memory_defaults(own, ["paperlake", "run"])
    assert own == {settings.JEMALLOC_CONF_ENV: "dirty_decay_ms:5000"}


def test_read_commands_keep_the_allocators_default_and_loads_return_freed_pages():
    for argv in (["/venv/bin/paperlake", "report", "--lake", "x"], ["-m", "trending", "--days", "30"], ["paperlake", "--debug", "show", "1"],
                 ["paperlake", "dupes", "--lake", "x"]):
        environ: dict[str, str] = {}
        settings.memory_defaults(environ, argv)
        assert environ == {}, argv
    for argv in (["/venv/bin/paperlake", "ingest", "pages/"], ["-m", "backfill"], ["paperlake", "maintain"], ["pytest", "report"]):
        environ = {}
        settings.memory_defaults(environ, argv)
        assert environ == {settings.JEMALLOC_CONF_ENV: settings.JEMALLOC_CONF}, argv


def test_the_command_line_package_sets_the_allocator_before_polars_loads():
    probe = "import os, sys; import paperlake; print('polars' in sys.modules, os.environ.get('_RJEM_MALLOC_CONF'))"
    env = {k: v for k, v in os.environ.items() if k != settings.JEMALLOC_CONF_ENV}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    assert done.stdout.split() == ["False", settings.JEMALLOC_CONF]


def test_freeze_long_lived_takes_live_objects_out_of_the_collector_once_per_stage_and_keeps_collecting_new_garbage():
    script = """
import gc, weakref
from settings.heap import freeze_long_lived
kept = [[i] for i in range(1000)]
class Node: pass
dead = Node(); dead.me = dead; dead_ref = weakref.ref(dead); del dead  # garbage before the freeze: collected, not kept
print(freeze_long_lived("imports"), freeze_long_lived("imports"), dead_ref() is None, gc.get_freeze_count() >= 1000)
later = Node(); later.me = later; later_ref = weakref.ref(later); del later
gc.collect()
print(later_ref() is None)
import duckdb
duckdb.sql("select 1").fetchall()
gc.freeze()  # as if a later stage froze DuckDB's objects too: still freed at exit
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.split() == ["True", "False", "True", "True", "True"]
    assert done.stderr == ""  # nothing reported leaked at exit (frozen objects are unfrozen for the shutdown)
