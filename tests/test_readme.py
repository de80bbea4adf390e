"""The README's commands never rot: every one is checked here, and the read-only ones are run.

- Every `paperlake` command line in a ```bash block is parsed by the real command (its options and
  values must be accepted; `[...]` optional parts are included and placeholders such as
  `YYYY-MM-DD` get a sample value). The commands that only read the lake are then run, in a folder
  whose ./data/lake is the scenario lake of tests/explore_scenario.py.
- `python -m MODULE` names a module that exists, `make TARGET` a target of the Makefile, a script
  path a file that exists; `prefect ...` commands are asked for their `--help` (slow test).
- Every ```python block compiles, and those that read `data/lake` run against that lake.
- The contents list is the README's headings, in order, with working anchors.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from paperlake.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BENCH_README = (ROOT / "bench" / "README.md").read_text(encoding="utf-8")
PLACEHOLDERS = {
    "YYYY-MM-DD": "2024-03-11", "D": "2024-03-12", "F": "hf_daily", "URI": "/tmp/paperlake-readme-lake",
    "PATH...": "samples/pages", "FILE": "out.csv", "table|csv|json|parquet": "csv", "table|csv|json": "csv",
}
READ_ONLY = {"tables", "papers", "show", "new", "trending", "history", "query", "quarantine", "report", "dupes", "authors", "topics", "digest", "changes"}
# Run too, on the scenario lake: watches that need no Prefect block (--webhook and --notify talk to a Prefect server).
RUN_WITHOUT_PREFECT = {"watch"}


def blocks(language: str, text: str = README) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


def shell_lines(text: str = README) -> list[str]:
    """Each command of the bash blocks, continuation lines joined, comments dropped."""
    lines = []
    for block in blocks("bash", text):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):  # VAR=value before a command
                words = words[1:]
            if words:
                lines.append(words)
    return lines


def paperlake_lines() -> list[list[str]]:
    return [words[1:] for words in shell_lines() if words[0] == ".venv/bin/paperlake"]


def concrete(words: list[str]) -> list[str]:
    """Optional `[...]` parts kept, placeholders replaced by sample values."""
    return [PLACEHOLDERS.get(word.strip("[]"), word.strip("[]")) for word in words]


def parse(args: list[str]) -> str:
    """Parse `args` as the real command would, without running it; return the subcommand's name."""
    group = get_command(app)
    context = group.make_context("paperlake", list(args))
    name, command, rest = group.resolve_command(context, [*context._protected_args, *context.args])
    command.make_context(name, rest, parent=context)
    return name


def test_the_readme_shows_commands_of_every_kind():
    names = {parse(concrete(words)) for words in paperlake_lines()}
    assert READ_ONLY | RUN_WITHOUT_PREFECT | {"run", "backfill", "ingest", "reparse", "validate", "serve", "maintain"} <= names


@pytest.mark.parametrize("words", paperlake_lines(), ids=lambda words: " ".join(words)[:60])
def test_every_paperlake_command_parses(words):
    parse(concrete(words))  # raises on an unknown command or option, or a value of the wrong kind


@pytest.fixture(scope="module")
def readme_folder(tmp_path_factory):
    """A folder where ./data/lake is the scenario lake, as after `make run` but without Prefect."""
    from lake.store import Lake
    from tests.explore_scenario import write_scenario

    folder = tmp_path_factory.mktemp("readme")
    write_scenario(Lake(str(folder / "data" / "lake")))
    return folder


def test_every_read_only_command_runs(readme_folder, monkeypatch):
    monkeypatch.chdir(readme_folder)
    monkeypatch.delenv("PAPERLAKE_LAKE", raising=False)
    ran = 0
    for words in paperlake_lines():
        args = concrete(words)
        name = parse(args)
        runnable = name in READ_ONLY or (name in RUN_WITHOUT_PREFECT and "--webhook" not in args and "--notify" not in args)
        if not runnable or "--merge" in args or "--dismiss" in args or "--lake" in args:
            continue
        result = CliRunner().invoke(app, args)
        ran += 1
        # A paper or a moment the small test lake does not have may be refused, with a message, never a traceback.
        tolerated = name == "show" or any(re.fullmatch(r"\d{4}-\d\d-\d\dT.*", a) for a in args)
        assert result.exit_code == 0 or (tolerated and result.exit_code in (1, 2) and "error" in result.stderr.lower()), (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
    assert ran >= 20
    assert (readme_folder / "papers.csv").is_file() and (readme_folder / "sightings.parquet").is_file()


def test_every_other_command_names_something_that_exists():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for words in shell_lines() + shell_lines(BENCH_README):
        program = words[0]
        if program == "make":
            assert re.search(rf"^{re.escape(words[1])}:", makefile, re.MULTILINE), words
        elif program == ".venv/bin/python":
            assert words[1] == "-m" and find_spec(words[2]) is not None, words
        elif "/" in program and not program.startswith(".venv/"):
            assert (ROOT / program).is_file() and os.access(ROOT / program, os.X_OK), words
        elif "--prefect-file" in words:
            assert (ROOT / words[words.index("--prefect-file") + 1]).is_file()


@pytest.mark.slow
def test_every_prefect_command_is_one_prefect_knows():
    prefect = Path(sys.executable).parent / "prefect"
    commands = {tuple(w for w in words[1:3] if not w.startswith("-") and "/" not in w) for words in shell_lines() if words[0] == ".venv/bin/prefect"}
    assert ("server", "start") in commands and ("deploy",) in {c[:1] for c in commands}
    for command in sorted(commands):
        result = subprocess.run([str(prefect), *command, "--help"], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (command, result.stderr[-500:])


def test_python_blocks_compile_and_those_reading_the_lake_run(readme_folder):
    ran = 0
    for number, code in enumerate(blocks("python")):
        compile(code, f"README python block {number}", "exec")
        if "data/lake" not in code or "spark" in code or "DaskTaskRunner" in code:
            continue
        # os._exit: DuckDB's and deltalake's native threads sometimes abort at interpreter teardown
        # ("terminate called without an active exception"), after the block has done its work.
        checked = code + "\nprint('README block done', flush=True)\nimport os; os._exit(0)\n"
        result = subprocess.run([sys.executable, "-c", checked], cwd=readme_folder, capture_output=True, text=True, timeout=120,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert result.returncode == 0 and "README block done" in result.stdout, (code, result.stderr[-2000:])
        ran += 1
    assert ran >= 2


def test_the_contents_list_every_heading_with_a_working_anchor():
    prose = re.sub(r"```.*?```", "", README, flags=re.DOTALL)
    headings = re.findall(r"^(##|###) (.+)$", prose, re.MULTILINE)
    listed = re.findall(r"^( *)- \[(.+)\]\(#([^)]+)\)$", prose.split("## Contents\n")[1].split("\n## ")[0], re.MULTILINE)
    assert [(level, title) for level, title in headings if title != "Contents"] == [
        ("##" if indent == "" else "###", title) for indent, title, _ in listed
    ]
    for _, title, anchor in listed:
        assert anchor == re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def test_the_benchmark_details_moved_to_bench_readme():
    bench = BENCH_README
    assert "## Issue 14: where each target stands" in bench and "## What made it fast" in bench
    # Issue 14: the headline figures as multiples of the floor measured in the same run.
    assert "bench/README.md" in README and "| workload | measured | × floor | peak memory | target |" in README
    assert "Figures of the last run" not in README
    # The README keeps a headline table; the benchmark's internals live in bench/README.md.
    performance = README.split("\n## Performance", 1)[1].split("\n## ", 1)[0]
    assert len(performance.splitlines()) < 40
