"""Synthetic outcome matrices for the analysis tests (labelled synthetic)."""

from __future__ import annotations

import numpy as np

from toolkit.outcomes import OutcomeMatrix

WORDS_EASY = ["add", "sum", "list", "name", "color", "greet", "copy", "count"]
WORDS_HARD = ["prove", "theorem", "optimize", "derive", "integral", "lemma", "compile", "kernel"]


def synthetic_matrix(
    n: int = 120,
    *,
    seed: int = 0,
    cost: bool = True,
    executors: tuple[str, ...] = ("small", "mid", "large"),
    split: bool = False,
) -> OutcomeMatrix:
    """A SYNTHETIC outcome matrix whose task text says how hard the task is.

    Hard tasks (hard words in the text) are solved mostly by the larger executors, easy ones
    by all; costs grow with executor size. Made up for tests, not data about any model.
    """
    rng = np.random.default_rng(seed)
    m = len(executors)
    hard = rng.random(n) < 0.5
    texts = []
    for h in hard:
        pool = WORDS_HARD if h else WORDS_EASY
        texts.append(" ".join(rng.choice(pool, 5)) + " " + " ".join(rng.choice(WORDS_EASY, 2)))
    skill = np.linspace(0.3, 0.95, m)
    p = np.where(hard[:, None], skill[None, :] ** 2, np.minimum(1.0, skill[None, :] + 0.4))
    score = (rng.random((n, m)) < p).astype(float)
    base = np.geomspace(0.001, 0.05, m)
    costs = base[None, :] * rng.uniform(0.5, 1.5, (n, m)) if cost else None
    latency = np.linspace(0.2, 2.0, m)[None, :] * rng.uniform(0.5, 1.5, (n, m))
    splits = [("test" if i % 3 == 0 else "train") for i in range(n)] if split else None
    return OutcomeMatrix.build(
        task_ids=[f"syn{i}" for i in range(n)],
        executors=executors,
        score=score,
        text=texts,
        category=["hard" if h else "easy" for h in hard],
        split=splits,
        cost_usd=costs,
        latency_s=latency,
        notes=["synthetic test matrix"],
    )
