"""Titles and abstracts for the arXiv-volume world, as varied as real ones at millions of papers.

The small living world's templates (paperlake/living_text.py) give a few hundred thousand titles
and one abstract with a few numbers changed. Over ten years of cs.* that made each title's words
recur under a dozen method names, each time over the same abstract: 23.5 million look-alike pairs,
95 % of them "the same abstract", which no real lake has, so `paperlake dupes` could not be measured
on the benchmark's ten-year lake. Here each paper's text comes from a generator seeded by its id
(the world's other draws stay as they were): a title and an abstract of words drawn from a
vocabulary with common words common (a Zipf law, like real text), so two papers share words by
chance only, as real titles and abstracts do.
"""

from __future__ import annotations

import hashlib
import random
from itertools import accumulate

from paperlake import living_text as text

# Papers sent twice under two ids, as arXiv gets them now and then: the same abstract under the
# title with a typo, submitted the same day as the first. What `paperlake dupes` is there to find.
RESUBMITTED_SHARE = 0.002
CONNECTORS = ("for", "with", "via", "in", "of", "and", "under", "from", "beyond", "through")
# Content words, most common first: drawn with weight 1 / (rank + CONTENT_RANK_OFFSET), a Zipf law
# flattened at the top as a field's words are (the commonest is about 2 % of them, not 16 %).
CONTENT_WORDS = (
    "model models learning data method performance results task training approach network neural framework tasks "
    "existing proposed problem methods deep language large based show features information state propose benchmark "
    "dataset datasets paper art novel accuracy trained generation evaluation representations inference loss efficient "
    "different multiple quality robust text images image visual reasoning knowledge attention transformer language "
    "policy reward agents agent graph nodes edges optimization gradient stochastic convergence bounds theoretical "
    "empirical analysis experiments demonstrate significantly outperforms baselines improves achieves compared "
    "computational cost memory latency throughput scale scaling parameters fine-tuning pretraining pretrained "
    "supervised unsupervised self-supervised labels annotations noise noisy distribution shift domain adaptation "
    "generalization transfer zero-shot few-shot prompts prompting instruction alignment preference human feedback "
    "safety privacy fairness bias robustness adversarial attacks defense uncertainty calibration confidence "
    "retrieval documents queries search ranking recommendation users items clicks video frames temporal spatial "
    "motion tracking detection segmentation objects scene depth point cloud reconstruction rendering diffusion "
    "sampling denoising latent variational encoder decoder autoencoder tokens token vocabulary context window long "
    "sequence sequences speech audio acoustic speaker translation multilingual low-resource languages code programs "
    "execution tests bugs repair theorem proofs formal symbolic planning control robot manipulation navigation "
    "simulation real-world environments exploration trajectories offline online bandit regret sample complexity "
    "kernel sparse dense low-rank quantization pruning distillation compression hardware accelerators energy "
    "federated clients communication rounds heterogeneous medical clinical patients diagnosis molecules protein "
    "chemical materials climate weather forecasting time series anomaly causal effects intervention counterfactual "
    "interpretability explanations circuits neurons probing features mechanistic hallucination factuality "
    "summarization dialogue conversational question answering tabular structured equations physics dynamics "
    "stability tradeoff limitations future release open-source available"
).split()
CONTENT_WORDS = list(dict.fromkeys(CONTENT_WORDS))  # each once, in first-listed order
FUNCTION_WORDS = "the of and to a in for we on with that is by our as from this which are at an be can".split()
CONTENT_RANK_OFFSET = 20
FUNCTION_SHARE = 0.4  # of an abstract's words: about as in real abstracts
WORDS = tuple(FUNCTION_WORDS) + tuple(CONTENT_WORDS)
_CONTENT_WEIGHTS = [1 / (rank + CONTENT_RANK_OFFSET) for rank in range(1, len(CONTENT_WORDS) + 1)]
_CONTENT_CUM_WEIGHTS = tuple(accumulate(_CONTENT_WEIGHTS))
_CUM_WEIGHTS = tuple(
    accumulate(
        [FUNCTION_SHARE / len(FUNCTION_WORDS)] * len(FUNCTION_WORDS)
        + [(1 - FUNCTION_SHARE) * weight / sum(_CONTENT_WEIGHTS) for weight in _CONTENT_WEIGHTS]
    )
)


def paper_rng(seed: int, arxiv_id: str) -> random.Random:
    """The generator of one paper's text: the same for the same paper whatever else was drawn."""
    return random.Random(int.from_bytes(hashlib.blake2b(f"{seed}:{arxiv_id}".encode(), digest_size=8).digest(), "big"))


def title(rng: random.Random, name: str) -> str:
    """`Name: [Prefix ]Words[ connector Words]`: three to eight of the abstracts' content words."""
    words = [w.title() for w in rng.choices(CONTENT_WORDS, cum_weights=_CONTENT_CUM_WEIGHTS, k=rng.randint(3, 8))]
    if rng.random() < 0.7:
        words.insert(rng.randint(1, len(words) - 1), rng.choice(CONNECTORS))
    return f"{name}: {rng.choice(text.PREFIXES)}{' '.join(words)}"


def summary(rng: random.Random, name: str) -> str:
    """Four to seven sentences of 9 to 20 words (about 540 characters), the first naming the method."""
    sentences = [f"We introduce {name}, " + " ".join(rng.choices(WORDS, cum_weights=_CUM_WEIGHTS, k=rng.randint(8, 16))) + "."]
    for _ in range(rng.randint(3, 6)):
        words = rng.choices(WORDS, cum_weights=_CUM_WEIGHTS, k=rng.randint(9, 20))
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def with_typo(rng: random.Random, title: str) -> str:
    """The title with two neighbouring letters of one of its longer words swapped (never the method name)."""
    name, _, rest = title.partition(": ")
    words = rest.split(" ")
    long_words = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()] or [len(words) - 1]
    i = rng.choice(long_words)
    word = words[i]
    if len(word) >= 3:
        at = rng.randrange(1, len(word) - 1)
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    words[i] = word if word != words[i] else word + "s"
    return f"{name}: {' '.join(words)}"
