"""Made-up but plausible paper text for the living replay world: titles, abstracts, authors, comments.

Every function takes its own `random.Random`, so a paper's text depends only on the seed and the
paper, never on how many other papers were generated before it.
"""

from __future__ import annotations

import hashlib
import random
import textwrap

METHODS = (
    "Sparse", "Contrastive", "Diffusion-Based", "Retrieval-Augmented", "Self-Supervised", "Federated",
    "Equivariant", "Causal", "Low-Rank", "Quantized", "Multimodal", "Hierarchical", "Bayesian", "Adaptive",
    "Curriculum", "Graph-Based", "Continual", "Mixture-of-Experts", "Token-Efficient", "Robust",
)
OBJECTS = (
    "Attention", "Transformers", "Tokenizers", "Reward Models", "Vision Encoders", "Policies", "Embeddings",
    "Agents", "Language Models", "Autoencoders", "World Models", "Optimizers", "Speech Models", "Retrievers",
)
TASKS = (
    "Long-Context Reasoning", "Video Understanding", "Code Generation", "Theorem Proving", "Machine Translation",
    "3D Scene Reconstruction", "Medical Image Segmentation", "Instruction Following", "Time Series Forecasting",
    "Robot Manipulation", "Protein Design", "Open-Vocabulary Detection", "Speech Recognition", "Table QA",
)
PREFIXES = ("", "", "", "Rethinking ", "On ", "Towards ", "Scaling ", "Revisiting ", "Learning ")
TAILS = (
    "", "", "", " at Scale", " without Labels", " in the Wild", " under Distribution Shift",
    " with Limited Data", " for Resource-Constrained Devices", ": A Benchmark and Baselines",
)
FIRST_NAMES = (
    "Aiko", "Bruno", "Chen", "Dara", "Emeka", "Freya", "Gaurav", "Hana", "Ilya", "Jia", "Kofi", "Lena",
    "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tomás", "Usha", "Víctor", "Wen", "Yara",
)
LAST_NAMES = (
    "Tanaka", "Vargas", "Kowalski", "Quispe", "Moreau", "Weber", "Xu", "Castillo", "Okafor", "Nakamura",
    "Lindqvist", "Haddad", "Ivanova", "Mensah", "Schmidt", "Rahman", "Oliveira", "Novak", "Park", "Silva",
)
FINDINGS = (
    "improves accuracy by {n} percent over the strongest baseline",
    "matches the baseline with {n} times less compute",
    "reduces memory use by {n} percent at no loss in quality",
    "closes {n} percent of the gap to a model ten times larger",
)
COMMENTS = ("{n} pages, {f} figures", "Accepted at ICML {y}", "Code will be released", "Workshop version", "{n} pages")
KEYWORDS = ("attention", "distillation", "benchmark", "scaling laws", "alignment", "retrieval", "tokenization")
WITHDRAWAL_NOTICE = "This paper has been withdrawn by the authors due to an error in the main experiment."

# arXiv's API hard-wraps titles and abstracts; readers must collapse the whitespace.
TITLE_WRAP_CHARS = 70
SUMMARY_WRAP_CHARS = 78


def title_text(rng: random.Random) -> str:
    return f"{rng.choice(PREFIXES)}{rng.choice(METHODS)} {rng.choice(OBJECTS)} for {rng.choice(TASKS)}{rng.choice(TAILS)}"


def summary_text(rng: random.Random, title: str) -> str:
    finding = rng.choice(FINDINGS).format(n=rng.randint(3, 60))
    return (
        f"We present {title}. Existing approaches trade quality for cost in ways that are "
        f"poorly understood. We propose a simple method and evaluate it on {rng.randint(3, 12)} public datasets. "
        f"It {finding}, and an ablation shows which of its parts matter."
    )


def revised_summary(summary: str, version_number: int) -> str:
    return f"{summary} This version (v{version_number}) adds experiments and corrects a table."


def author_names(rng: random.Random) -> tuple[str, ...]:
    names = {f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(rng.randint(1, 6))}
    return tuple(sorted(names, key=lambda name: rng.random()))


def comment_text(rng: random.Random, year: int) -> str | None:
    if rng.random() < 0.4:
        return None
    return rng.choice(COMMENTS).format(n=rng.randint(6, 40), f=rng.randint(1, 12), y=year)


def journal_reference(arxiv_id: str, comment: str | None) -> tuple[str, str] | None:
    """(journal_ref, DOI) of a paper whose comment says it was accepted, as arXiv shows them once the
    authors add them. Derived from the id and comment, not drawn: the world's other draws stay as they were."""
    if not comment or not comment.startswith("Accepted at "):
        return None
    venue, year = comment.removeprefix("Accepted at ").rsplit(" ", 1)
    number = int(hashlib.blake2b(arxiv_id.encode(), digest_size=4).hexdigest(), 16) % 9000 + 1000
    return f"Proceedings of {venue} {year}, pp. {number}-{number + 11}", f"10.5555/{venue.lower()}.{year}.{number}"


def keywords(rng: random.Random) -> tuple[str, ...]:
    return tuple(rng.sample(KEYWORDS, rng.randint(1, 4)))


def github_repo(rng: random.Random, title: str) -> str | None:
    if rng.random() < 0.5:
        return None
    slug = "-".join(title.lower().replace(":", "").split()[:3])
    return f"https://github.com/{rng.choice(LAST_NAMES).lower()}-lab/{slug}"


def hex_id(*parts: object) -> str:
    """A 24-hex-digit id like HF's `_id`s, stable for the same parts."""
    return hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=12).hexdigest()


def wrapped_title(title: str) -> str:
    return "\n  ".join(textwrap.wrap(title, TITLE_WRAP_CHARS)) or title


def wrapped_summary(summary: str) -> str:
    return "  " + "\n".join(textwrap.wrap(summary, SUMMARY_WRAP_CHARS)) + "\n"
