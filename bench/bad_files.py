"""Bad input must cost about what reading it costs (issue 16 point 8).

Two generated files that are not page copies: 200,000 short lines (about 1.5 MB; `paperlake
ingest` took 5 min 35 s on it and printed 200,000 warnings) and 50 MB of random words (still
running after 10 minutes). Each is parsed, then ingested by the real command, against a time
bound and a bound on the lines printed.

    python -m bench.bad_files [--folder DIR] [--lake DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from feeds import text_page

SHORT_LINE_COUNT = 200_000
RANDOM_WORDS_BYTES = 50 * 1000 * 1000
WORDS = ("model", "graph", "neural", "learning", "token", "vision", "sparse", "the", "of", "a", "attention",
         "robust", "large", "language", "diffusion", "agent", "benchmark", "scaling", "retrieval", "reasoning")
# Seconds: parsing is reading; an ingest adds a Prefect flow run (a temporary server takes 7-13 s to start).
PARSE_BOUND_SECONDS = {"short_lines.txt": 2.0, "random_words.txt": 2.0}
INGEST_BOUND_SECONDS = 90.0
MAX_WARNING_LINES = 12


def short_lines(path: Path) -> Path:
    path.write_text("".join(f"line {n}\n" for n in range(SHORT_LINE_COUNT)))
    return path


def random_words(path: Path, size_bytes: int = RANDOM_WORDS_BYTES, seed: int = 16) -> Path:
    rng = random.Random(seed)
    # A few thousand distinct lines repeated: random enough to be no page, fast to write.
    lines = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 40))) + rng.choice((".", "")) + "\n" for _ in range(5000)]
    block = "".join(lines).encode()
    with path.open("wb") as out:
        written = 0
        while written < size_bytes:
            out.write(block[: size_bytes - written])
            written += min(len(block), size_bytes - written)
    return path


def generate(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [short_lines(folder / "short_lines.txt"), random_words(folder / "random_words.txt")]


def time_parse(path: Path) -> dict:
    content = path.read_bytes()
    started_at = time.perf_counter()
    result = text_page.parse(content, str(path))
    return {"file": path.name, "bytes": len(content), "parse_seconds": round(time.perf_counter() - started_at, 3),
            "issue_count": len(result.issues), "row_count": result.rows.height, "rule": result.issues[0].rule if result.issues else None}


def time_ingest(path: Path, lake: Path, env: dict[str, str] | None = None) -> dict:
    started_at = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "paperlake.cli", "ingest", str(path), "--lake", str(lake), "--date", "2024-03-11"],
                          capture_output=True, text=True, env=env or dict(os.environ), timeout=INGEST_BOUND_SECONDS * 4)
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    return {"file": path.name, "ingest_seconds": round(time.perf_counter() - started_at, 1), "exit_code": done.returncode,
            "warning_lines": len(warnings), "first_warning": warnings[0] if warnings else None}


def within_bounds(parsed: dict, ingested: dict | None = None) -> list[str]:
    problems = []
    if parsed["parse_seconds"] > PARSE_BOUND_SECONDS[parsed["file"]]:
        problems.append(f"{parsed['file']}: parse took {parsed['parse_seconds']} s")
    if ingested and ingested["ingest_seconds"] > INGEST_BOUND_SECONDS:
        problems.append(f"{ingested['file']}: ingest took {ingested['ingest_seconds']} s")
    if ingested and ingested["warning_lines"] > MAX_WARNING_LINES:
        problems.append(f"{ingested['file']}: {ingested['warning_lines']} warning lines")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bad_files", description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=None, help="where to write the files (default: a temporary folder)")
    parser.add_argument("--lake", type=Path, default=None, help="lake to ingest into (default: a temporary one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bad-files-") as scratch:
        folder = args.folder or Path(scratch) / "files"
        lake = args.lake or Path(scratch) / "lake"
        problems = []
        for path in generate(folder):
            parsed, ingested = time_parse(path), time_ingest(path, lake)
            print(json.dumps(parsed | ingested))
            problems += within_bounds(parsed, ingested)
    for problem in problems:
        print(f"over bound: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
