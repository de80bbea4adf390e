"""Watchlists: which papers a watch matches, which of them are new to it, and the digest's rows.

A watch matches a paper when every kind of criterion it gives holds (words AND authors AND
categories; a kind it leaves empty is not asked):

- any_terms (`--words`): at least one term is in the title, abstract or Hugging Face keywords;
- all_terms (`--all-words`): every term is there;
- authors: one of the paper's authors contains the name's words in order (`lecun` matches
  "Yann LeCun", `yann lecun` too);
- categories: one of the paper's arXiv categories (primary or cross-list) is the one given, or,
  given without a dot (`cs`), any category of that archive.

Terms are whole words, compared after folding case and accents and turning punctuation into spaces,
so `diffusion` does not match "diffusions"; a trailing `*` makes the term's last word a prefix
(`llm*` matches "LLMs"). A term with spaces is a phrase: its words, consecutive, in that order.

A column an older lake lacks (authors, categories, keywords) simply never matches.
"""

from __future__ import annotations

import shlex

import polars as pl

WILDCARD = "*"
DIGEST_COLUMNS = ["paper_id", "title", "authors", "feeds", "upvotes", "link"]
ARXIV_ABS_URL = "https://arxiv.org/abs/"


class TermsError(ValueError):
    """Words a watch cannot be made of (an unclosed quote, nothing left after folding)."""


def split_terms(text: str | None) -> list[str]:
    """`agent "world model"` -> ["agent", "world model"]: words, with quoted phrases kept whole."""
    if text is None or not text.strip():
        return []
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise TermsError(f"cannot read {text!r}: {error} (quote a phrase with matching quotes)") from None
    terms = [" ".join(w.split()) for w in words if w.strip()]
    for term in terms:
        if not _folded_term(term).strip():
            raise TermsError(f"{term!r} has no letters or digits to match")
    return terms


def split_names(text: str | None) -> list[str]:
    """`--authors "Yann LeCun, Fei-Fei Li"`: names are separated by commas (a name has spaces)."""
    names = [" ".join(p.split()) for p in (text or "").split(",") if p.strip()]
    for name in names:
        if not _folded_term(name).strip():
            raise TermsError(f"author {name!r} has no letters or digits to match")
    return names


def split_categories(text: str | None) -> list[str]:
    """`--categories "cs.LG cs.CL"` or `"cs.LG,cs.CL"`."""
    return [c for c in (text or "").replace(",", " ").split() if c]


def _evaluate(expr: pl.Expr):
    return pl.select(expr).item()


def _folded(expr: pl.Expr) -> pl.Expr:
    """Lower case, accents dropped, every run of non-letters/digits one space, padded with spaces."""
    plain = expr.str.normalize("NFKD").str.replace_all(r"\p{M}+", "").str.to_lowercase()
    return pl.lit(" ") + plain.str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars() + pl.lit(" ")


def _folded_term(term: str) -> str:
    """The term as _folded text looks for it: ` world model ` (whole words), or ` llm` for `llm*`."""
    prefix = term.endswith(WILDCARD)
    folded = _evaluate(_folded(pl.lit(term.rstrip(WILDCARD))))
    return folded.rstrip() if prefix else folded


MATCH_TEXT, MATCH_AUTHORS = "_match_text", "_match_authors"


def with_match_text(papers: pl.DataFrame) -> pl.DataFrame:
    """The papers with their folded text and author names added, once for any number of watches
    (folding is most of a match's cost: about 7 s for 300k papers on a busy 2-core machine)."""
    if MATCH_TEXT in papers.columns:
        return papers
    authors = pl.col("authors").list.eval(_folded(pl.element())) if "authors" in papers.columns else pl.lit(None, dtype=pl.List(pl.String))
    return papers.with_columns(_text_of(papers).alias(MATCH_TEXT), authors.alias(MATCH_AUTHORS))


def _text_of(papers: pl.DataFrame) -> pl.Expr:
    parts = [pl.col("title").fill_null("")]
    if "abstract" in papers.columns:
        parts.append(pl.col("abstract").fill_null(""))
    if "keywords" in papers.columns:
        parts.append(pl.col("keywords").list.join(" ").fill_null(""))
    return _folded(pl.concat_str(parts, separator=" "))


def _terms_match(terms: list[str], every: bool) -> pl.Expr:
    found = [pl.col(MATCH_TEXT).str.contains(_folded_term(t), literal=True) for t in terms]
    return pl.all_horizontal(found) if every else pl.any_horizontal(found)


def _authors_match(papers: pl.DataFrame, names: list[str]) -> pl.Expr:
    if "authors" not in papers.columns:
        return pl.lit(False)
    found = [pl.col(MATCH_AUTHORS).list.eval(pl.element().str.contains(_folded_term(n), literal=True)).list.any() for n in names]
    return pl.any_horizontal(found).fill_null(False)


def _categories_match(papers: pl.DataFrame, categories: list[str]) -> pl.Expr:
    lists = [pl.col("categories")] if "categories" in papers.columns else []
    if "primary_category" in papers.columns:
        lists.append(pl.concat_list(pl.col("primary_category")))
    if not lists:
        return pl.lit(False)
    held = pl.concat_list(lists).list.eval(pl.element().str.to_lowercase()).list.drop_nulls()
    found = []
    for category in (c.lower() for c in categories):
        same = held.list.contains(category)
        found.append(same if "." in category else same | held.list.eval(pl.element().str.starts_with(f"{category}.")).list.any())
    return pl.any_horizontal(found).fill_null(False)


def matches(papers: pl.DataFrame, watch: dict) -> pl.Series:
    """A boolean per paper: does `watch` (a `watches` row as a dict) match it."""
    conditions = []
    if watch.get("any_terms"):
        conditions.append(_terms_match(watch["any_terms"], every=False))
    if watch.get("all_terms"):
        conditions.append(_terms_match(watch["all_terms"], every=True))
    if watch.get("authors"):
        conditions.append(_authors_match(papers, watch["authors"]))
    if watch.get("categories"):
        conditions.append(_categories_match(papers, watch["categories"]))
    if not conditions:  # a watch with no criterion would send everything: never stored, never matches
        return pl.Series("matched", [False] * papers.height, dtype=pl.Boolean)
    return with_match_text(papers).select(pl.all_horizontal(conditions).fill_null(False).alias("matched")).to_series()


def new_to_watch(papers: pl.DataFrame, watch: dict, delivered_ids: list[str]) -> pl.DataFrame:
    """The papers `watch` matches that were listed on or after its since_date, are not withdrawn,
    and were never in one of its digests (`delivered_ids`)."""
    listed = papers.filter(pl.col("last_seen_date") >= watch["since_date"])
    if "withdrawn_at" in listed.columns:
        listed = listed.filter(pl.col("withdrawn_at").is_null())
    listed = listed.filter(~pl.col("paper_id").is_in(delivered_ids))
    return listed.filter(matches(listed, watch)).drop(MATCH_TEXT, MATCH_AUTHORS, strict=False)


def digest_rows(papers: pl.DataFrame) -> pl.DataFrame:
    """The digest table: most upvoted first (then newest), with a link to the paper's arXiv page."""
    with_authors = papers if "authors" in papers.columns else papers.with_columns(authors=pl.lit(None, dtype=pl.List(pl.String)))
    link = pl.when(pl.col("arxiv_id").is_not_null()).then(pl.lit(ARXIV_ABS_URL) + pl.col("arxiv_id"))
    return (
        with_authors.sort(["upvotes", "first_seen_date", "paper_id"], descending=[True, True, False], nulls_last=True)
        .with_columns(link=link)
        .select(DIGEST_COLUMNS)
    )


def digest_message(watch_name: str, rows: pl.DataFrame) -> tuple[str, str]:
    """(subject, body) of the notification: one line per paper, most upvoted first."""
    count = rows.height
    subject = f"paperlake digest {watch_name}: {count} new paper{'s' if count != 1 else ''}"
    lines = []
    for row in rows.iter_rows(named=True):
        authors = ", ".join(row["authors"] or [])
        upvotes = f", {row['upvotes']} upvotes" if row["upvotes"] is not None else ""
        extras = f" ({', '.join(row['feeds'] or [])}{upvotes})"
        lines.append(f"- {row['title']}" + (f" - {authors}" if authors else "") + extras + (f" {row['link']}" if row["link"] else ""))
    return subject, "\n".join(lines)
