"""The signals' TF-IDF features: built from counts shared by every fold, they equal
scikit-learn's TfidfVectorizer. The texts are synthetic (random words)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from toolkit.signals import TfidfFeatures, prime_counts


def _docs(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(300)]
    return [
        " ".join(rng.choice(words[: rng.randint(20, 300)]) for _ in range(rng.randint(3, 30)))
        for _ in range(n)
    ]


@pytest.mark.parametrize("max_features", [None, 5000, 60])
def test_features_equal_scikit_learns_tfidf(max_features: int | None) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = _docs(400)
    prime_counts(docs)  # as fit_predict does: the folds below are subsets of these counts
    train, held = docs[:300], docs[300:]
    ref = TfidfVectorizer(max_features=max_features, ngram_range=(1, 2), sublinear_tf=True)
    want_train, want_held = ref.fit_transform(train), ref.transform(held)
    ours = TfidfFeatures(max_features=max_features, ngram_range=(1, 2))
    got_train, got_held = ours.fit_transform(train), ours.transform(held)
    fresh = _docs(20, seed=9)  # never counted before: counted against the fitted vocabulary
    if max_features is None or max_features >= len(ref.vocabulary_):
        assert list(ours.terms_) == list(ref.get_feature_names_out())
        assert abs(got_train - want_train).max() < 1e-12
        assert abs(got_held - want_held).max() < 1e-12
        assert abs(ours.transform(fresh) - ref.transform(fresh)).max() < 1e-12
    else:  # the most frequent terms; scikit-learn breaks frequency ties arbitrarily
        assert len(ours.terms_) == max_features == len(ref.vocabulary_)
        counts = TfidfVectorizer(ngram_range=(1, 2), use_idf=False, norm=None).fit(train)
        freq = np.asarray(counts.transform(train).sum(axis=0)).ravel()
        by_term = dict(zip(counts.get_feature_names_out(), freq, strict=True))
        cutoff = sorted(freq, reverse=True)[max_features - 1]
        assert all(by_term[t] >= cutoff for t in ours.terms_)
        assert all(by_term[t] >= cutoff for t in ref.get_feature_names_out())
        assert got_held.shape == want_held.shape
