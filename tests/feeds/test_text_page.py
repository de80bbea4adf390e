from pathlib import Path

import pytest

from feeds.text_page import MAX_ISSUES_LISTED, page_month_day, parse
from tests.conftest import MALFORMED, PAGES


def parse_file(path: Path):
    return parse(path.read_bytes(), str(path))


def test_page_with_blank_lines_reads_every_pair_in_order():
    result = parse_file(PAGES / "2024-03-11.txt")
    assert result.status == "ok" and result.issues == []
    assert result.rows["rank"].to_list() == [1, 2, 3, 4]
    assert result.rows["title"].to_list() == [
        "Sparse Routing for Tiny Transformers",
        "Grid-Free Neural Fields for Weather Maps",
        "LoRA Adapters Forget Less: A Study of Continual Fine-Tuning",
        "Sparse Routing for Tiny Transformers",
    ]
    assert result.rows["abstract"][0].startswith("We study how to route tokens")


def test_page_without_blank_lines_with_glued_subscribe_and_second_header():
    result = parse_file(PAGES / "2024-03-12.txt")
    assert result.status == "ok"
    assert result.rows["title"][0] == "GRID-FREE neural fields   for weather maps"
    assert result.rows.height == 3
    assert page_month_day((PAGES / "2024-03-12.txt").read_bytes()) is None


def test_date_line_is_read_without_a_year():
    assert page_month_day((PAGES / "2024-03-11.txt").read_bytes()) == (3, 11)
    assert page_month_day((PAGES / "dec31.txt").read_bytes()) == (12, 31)


def test_title_without_abstract_is_reported_with_file_and_line_and_other_rows_kept():
    path = MALFORMED / "title_without_abstract.txt"
    result = parse_file(path)
    assert result.status == "partial"
    assert result.rows["title"].to_list() == ["Counting Cats in Satellite Images"]
    assert [str(i) for i in result.issues] == [
        f"{path}:11: title with no abstract after it: 'A Title That Lost Its Abstract' [title_without_abstract]"
    ]


def test_a_result_without_its_rows_keeps_its_status_issues_and_row_count():
    result = parse_file(MALFORMED / "title_without_abstract.txt")
    light = result.without_rows()
    assert light.rows.height == 0 and light.row_count == 1
    assert light.status == "partial" and light.issues == result.issues and light.rejects == result.rejects


@pytest.mark.parametrize(
    ("name", "rule", "line", "words"),
    [
        ("empty.txt", "empty", None, "has no text"),
        ("binary.png", "binary", None, "binary file"),
        ("page.html", "html", 1, "HTML"),
        ("latin1.txt", "not_utf8", 6, "not UTF-8: byte 0xe9"),
    ],
)
def test_unreadable_files_fail_with_a_clear_located_error(name, rule, line, words):
    path = MALFORMED / name
    result = parse_file(path)
    assert result.status == "failed" and result.rows.height == 0
    [issue] = result.issues
    assert (issue.rule, issue.line, issue.source) == (rule, line, str(path))
    assert words in issue.message


def test_abstract_with_no_title_is_reported():
    content = b"new\nMar 11\n" + b"An orphan abstract line that is long enough to be an abstract. " * 6 + b"\nTitle\n" + b"Abstract text. " * 30
    result = parse(content, "orphan.txt")
    assert result.rows["title"].to_list() == ["Title"]
    assert [(i.rule, i.line) for i in result.issues] == [("abstract_without_title", 3)]


def test_real_seed_copies_parse_completely(seeds):
    counts = {p.name[:3]: parse_file(p).rows.height for p in sorted(seeds.iterdir())}
    assert counts == {"000": 50, "001": 84, "002": 86, "003": 88, "004": 204}
    glued = parse_file(next(seeds.glob("004_*")))
    assert glued.rows["title"][0] == "Model Fusion via Optimal Transport"
    assert glued.issues == []


HEADER = b"new\nSubscribe\nMar 11\n"
ABSTRACT = b"We present a method that works on every benchmark we tried, and we explain why it works. " * 3


def test_a_3000_character_title_line_is_a_title_for_the_rules_to_judge_not_a_dropped_abstract():
    # Before: read as an abstract with no title, dropped, and its abstract then dropped as a title with no abstract.
    title = ("Scaling Laws for Everything " * 120)[:3000]
    result = parse(HEADER + title.encode() + b"\n" + ABSTRACT + b"\nShort Title\n" + ABSTRACT, "long.txt")
    assert result.issues == [] and result.rejects == []
    assert result.rows["title"].str.len_chars().to_list() == [3000, 11]


def test_lines_out_of_step_are_rejects_that_carry_their_file_line_and_text():
    path = MALFORMED / "misplaced_lines.txt"
    result = parse_file(path)
    assert result.rows["title"].str.len_chars().to_list() == [31, 3000, 38, 42]  # the long title is a row
    assert [(r.rule, r.line, r.text[:40]) for r in result.rejects] == [
        ("title_without_abstract", 19, "A Second Title That Lost Its Abstract"),
        ("abstract_without_title", 25, "An abstract whose title line is missing "),
    ]
    assert result.rejects == result.issues and all(r.source == str(path) for r in result.rejects)


def test_every_stray_line_is_a_reject_though_the_issue_list_stays_bounded():
    strays = b"".join(b"Stray heading %d\n" % n for n in range(15))
    result = parse(HEADER + b"A Title\n" + ABSTRACT + b"\n" + strays, "strays.txt")
    assert result.rows.height == 1
    assert len(result.issues) == MAX_ISSUES_LISTED + 1 and result.issues[-1].rule == "more_issues"
    assert [r.line for r in result.rejects] == list(range(6, 21))
    assert result.rejects[-1].text == "Stray heading 14"


def test_a_file_that_is_not_a_page_copy_has_no_row_rejects():
    result = parse(HEADER + b"".join(b"line %d\n" % n for n in range(200)), "junk.txt")
    assert result.issues[0].rule == "not_a_page_copy"
    assert result.rejects == [] and all(issue.text is None for issue in result.issues)
    for name in ("empty.txt", "binary.png", "page.html", "latin1.txt"):
        assert parse_file(MALFORMED / name).rejects == []
