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


TRICKY = [
    "Hello world, hello!",
    "",
    "a b c",
    "Ünïcode ßtraße naïve café CAFÉ",
    "x",
    "one two three four five",
    "the the the the",
    "日本語 テキスト です",
    "it's a don't-care 42 3.14 foo_bar",
    "tab\tseparated\nnew line   spaces",
    "ab a b abc ab_c",
]


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (2, 2), (1, 3), (2, 3)])
def test_counts_equal_count_vectorizers(ngram_range: tuple[int, int]) -> None:
    from sklearn.feature_extraction.text import CountVectorizer

    from toolkit.signals import count_ngrams

    for docs in (TRICKY, _docs(200, seed=3)):
        ref = CountVectorizer(ngram_range=ngram_range)
        want = ref.fit_transform(docs)
        counted = count_ngrams(docs, ngram_range)
        assert counted is not None
        got, terms = counted
        assert list(terms) == list(ref.get_feature_names_out())
        assert (got != want).nnz == 0


def test_counts_decline_what_count_vectorizer_should_explain() -> None:
    from toolkit.signals import count_ngrams

    assert count_ngrams(["", "!"], (1, 2)) is None  # no token: CountVectorizer's error
    assert count_ngrams(["a b"], (2, 1)) is None  # a bad range: CountVectorizer's error


def test_knn_equals_a_brute_force_cosine_search() -> None:
    """The split dense + sparse similarity picks the same neighbours as a plain search."""
    from toolkit.signals import KnnSignal

    rng = np.random.default_rng(4)
    docs = _docs(500, seed=4)
    y = rng.random((500, 3))  # continuous scores: a different neighbour changes the mean
    train, held = docs[:400], [*docs[400:], "zzz qqq"]  # the last has no known word
    est = KnnSignal(k=7).fit(train, y[:400])
    got = est.predict_proba(held)
    xt = est.vectorizer_.transform(train).toarray()
    xq = est.vectorizer_.transform(held).toarray()
    sim = xq @ xt.T
    for i in range(len(held) - 1):
        order = np.argsort(-sim[i], kind="stable")
        if sim[i, order[6]] - sim[i, order[7]] < 1e-9:
            continue  # a tie at the cut: either neighbour is right
        assert np.allclose(got[i], y[:400][order[:7]].mean(axis=0))
    assert np.allclose(got[-1], y[:400].mean(axis=0))  # nothing known: the train mean
    assert len(est.dense_terms_) > 0 and len(est.sparse_terms_) > 0  # both parts exercised


def test_category_prior_smooths_each_categorys_rate_towards_the_overall_one() -> None:
    from toolkit.outcomes import OutcomeMatrix
    from toolkit.signals import make_signal
    from toolkit.tasks import Task

    # SYNTHETIC: executor a solves every math task and no prose task; b the reverse
    cats = ["math"] * 6 + ["prose"] * 4
    score = np.array([[1.0, 0.0]] * 6 + [[0.0, 1.0]] * 4)
    train = OutcomeMatrix.build(
        task_ids=[f"t{i}" for i in range(10)],
        executors=("a", "b"),
        score=score,
        text=[f"task {i}" for i in range(10)],
        category=cats,
    )
    sig = make_signal("category_prior", strength=2.0).fit(train)
    overall = np.array([6 / 10, 4 / 10])
    assert np.allclose(sig.overall_, overall)
    math = [(6 + 2 * overall[0]) / (6 + 2), (0 + 2 * overall[1]) / (6 + 2)]
    prose = [(0 + 2 * overall[0]) / (4 + 2), (4 + 2 * overall[1]) / (4 + 2)]
    got = sig.predict(train)
    assert np.allclose(got[0], math) and np.allclose(got[-1], prose)
    # a live task: its category; an unseen category, or plain text: the overall rates
    tasks = [Task(id="x", input="q", category="prose"), Task(id="y", input="q", category="art")]
    assert np.allclose(sig.predict(tasks), [prose, overall])
    assert np.allclose(sig.predict(["just text"]), [overall])
    with pytest.raises(ValueError, match="needs categories"):
        make_signal("category_prior").fit(["a text"], [[1.0, 0.0]])


def test_category_prior_chooses_its_strength_by_cross_validation_on_train() -> None:
    from toolkit.outcomes import OutcomeMatrix
    from toolkit.signals import make_signal

    # SYNTHETIC: 40 tasks in each of 5 categories whose rates differ a lot: little smoothing wins
    rng = np.random.default_rng(0)
    cats = [f"c{i % 5}" for i in range(200)]
    p = np.array([[0.05, 0.95], [0.95, 0.05], [0.5, 0.5], [0.9, 0.9], [0.1, 0.1]])
    score = (rng.random((200, 2)) < p[[i % 5 for i in range(200)]]).astype(float)
    train = OutcomeMatrix.build(
        task_ids=[f"t{i}" for i in range(200)],
        executors=("a", "b"),
        score=score,
        text=["x"] * 200,
        category=cats,
    )
    sig = make_signal("category_prior").fit(train)
    table = sig.cv_results_
    assert table is not None and len(table["strength"]) == len(table["mean_squared_error"])
    best = table["strength"][int(np.argmin(table["mean_squared_error"]))]
    assert sig.strength_ == best and best <= 5.0
    assert make_signal("category_prior", strength=3.0).fit(train).cv_results_ is None


@pytest.mark.parametrize(("name", "param"), [("tfidf_logreg", "C"), ("knn", "k")])
def test_none_chooses_the_setting_by_cross_validation_on_train(name: str, param: str) -> None:
    from toolkit.signals import make_signal

    # SYNTHETIC: executor 0 solves the texts holding w1, executor 1 the others
    docs = _docs(120, seed=3)
    y = np.array([[("w1 " in d + " "), ("w1 " not in d + " ")] for d in docs], dtype=float)
    sig = make_signal(name, **{param: None}).fit(docs, y)
    grid, losses = list(sig.cv_results_.values())
    assert len(grid) == len(losses) >= 3
    chosen = sig.C_ if name == "tfidf_logreg" else sig.k_
    assert chosen == grid[int(np.argmin(losses))]
    default = make_signal(name).fit(docs, y)  # today's fixed setting, no CV
    assert default.cv_results_ == {}
    assert (default.C_ == 1.0) if name == "tfidf_logreg" else (default.k_ == 10)
