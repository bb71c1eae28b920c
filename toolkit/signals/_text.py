"""Word n-gram counts and TF-IDF features, counted once per set of texts and shared."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # CountVectorizer's default token_pattern


def count_ngrams(docs: Sequence[str], ngram_range: tuple[int, int]) -> tuple[Any, Any] | None:
    """(counts, terms): scikit-learn's ``CountVectorizer(ngram_range=...).fit_transform(docs)``
    and its ``get_feature_names_out()``, counted with NumPy rather than a Python step per
    n-gram; None when the texts hold no token or too many distinct words to encode.

    Each n-gram is one integer: the alphabetical ranks of its words (1-based; 0 pads a shorter
    n-gram) as digits. Word characters all sort after the space, so the order of these codes is
    the alphabetical order of the space-joined n-grams, as CountVectorizer sorts its terms.
    """
    import numpy as np
    import scipy.sparse as sp  # type: ignore[import-untyped,unused-ignore]

    lo, hi = ngram_range
    if not 1 <= lo <= hi:
        return None  # CountVectorizer says what is wrong with the range
    tokens = [_TOKEN.findall(d.lower()) for d in docs]
    index: dict[str, int] = {}
    first_seen = np.fromiter(
        (index.setdefault(w, len(index)) for t in tokens for w in t), dtype=np.int64
    )
    base = len(index) + 1
    if not index or base**hi >= 2**62:
        return None
    words = np.array(sorted(index), dtype=object)
    rank = np.empty(len(words), dtype=np.int64)
    rank[[index[w] for w in words]] = np.arange(1, len(words) + 1)
    ids = rank[first_seen]
    lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
    ends = np.repeat(np.cumsum(lengths), lengths)  # one past the last token of each token's text
    doc_of = np.repeat(np.arange(len(tokens), dtype=np.int64), lengths)
    at = np.arange(len(ids), dtype=np.int64)
    rows, codes = [], []
    for n in range(lo, hi + 1):
        start = np.flatnonzero(at + n <= ends)  # an n-gram starts here, inside its text
        code = np.zeros(len(start), dtype=np.int64)
        for j in range(hi):
            code = code * base + (ids[start + j] if j < n else 0)
        rows.append(doc_of[start])
        codes.append(code)
    uniq, col = np.unique(np.concatenate(codes), return_inverse=True)
    terms: Any = None
    rest = uniq.copy()
    for _ in range(hi):  # the last word first
        digit = rest % base
        word = np.where(digit > 0, words[np.maximum(digit - 1, 0)], "")
        if terms is None:
            terms = word
        else:
            terms = np.where(terms == "", word, np.where(digit > 0, word + " " + terms, terms))
        rest //= base
    counts = sp.csr_matrix(
        (np.ones(len(col)), (np.concatenate(rows), np.ravel(col))),
        shape=(len(tokens), len(uniq)),
    )
    counts.sum_duplicates()
    return counts, terms


class _Corpus:
    """Word n-gram counts of one set of texts, counted once and shared by every fold and
    signal that fits on texts from it (counting is most of a TF-IDF fit)."""

    def __init__(self, docs: Sequence[str], ngram_range: tuple[int, int]) -> None:
        from sklearn.feature_extraction.text import CountVectorizer

        self.ngram_range = ngram_range
        counted = count_ngrams(docs, ngram_range)
        if counted is None:
            counter = CountVectorizer(ngram_range=ngram_range, dtype=float)
            counted = counter.fit_transform(docs).tocsr(), counter.get_feature_names_out()
        self.counts, self.terms = counted
        self.row: dict[str, int] = {}
        for i, d in enumerate(docs):
            self.row.setdefault(d, i)

    def rows_of(self, docs: Sequence[str]) -> list[int] | None:
        """The count rows of ``docs``, or None when some text was not counted here."""
        try:
            return [self.row[d] for d in docs]
        except KeyError:
            return None


_CORPORA: list[_Corpus] = []  # the last few corpora counted, newest last
_MAX_CORPORA = 2


def _corpus_for(docs: Sequence[str], ngram_range: tuple[int, int]) -> tuple[_Corpus, list[int]]:
    """A counted corpus holding every text of ``docs`` (counted now when none does)."""
    for corpus in reversed(_CORPORA):
        if corpus.ngram_range == ngram_range:
            rows = corpus.rows_of(docs)
            if rows is not None:
                return corpus, rows
    corpus = _Corpus(docs, ngram_range)
    _CORPORA.append(corpus)
    del _CORPORA[:-_MAX_CORPORA]
    rows = corpus.rows_of(docs)
    assert rows is not None
    return corpus, rows


def prime_counts(texts: Sequence[str], ngram_range: tuple[int, int] = (1, 2)) -> None:
    """Count ``texts`` once, so fits on any subset of them (the folds) reuse the counts."""
    _corpus_for(
        [t if isinstance(t, str) else str(t) for t in texts],
        (int(ngram_range[0]), int(ngram_range[1])),
    )


class TfidfFeatures:
    """TF-IDF of word n-grams, as scikit-learn's ``TfidfVectorizer(max_features, ngram_range,
    min_df, sublinear_tf=True)`` computes it (smooth idf, l2-normalised rows), built from
    shared counts: the ``max_features`` most frequent terms among those in at least ``min_df``
    texts (ties: alphabetical), idf = ln((1 + n) / (1 + df)) + 1, tf = 1 + ln(count)."""

    def __init__(
        self, *, max_features: int | None, ngram_range: tuple[int, int], min_df: int = 1
    ) -> None:
        self.max_features = max_features
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.min_df = min_df

    def fit_transform(self, docs: Sequence[str]) -> Any:
        import numpy as np

        corpus, rows = _corpus_for(docs, self.ngram_range)
        x = corpus.counts[rows]
        df = np.bincount(x.indices, minlength=x.shape[1])
        keep = np.flatnonzero(df >= max(1, self.min_df))  # a term of the fit rows only
        if self.max_features is not None and len(keep) > self.max_features:
            total = np.asarray(x.sum(axis=0)).ravel()[keep]
            order = np.lexsort((keep, -total))  # most frequent first, then alphabetical
            keep = np.sort(keep[order[: self.max_features]])
        if len(keep) == 0:
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        self.columns_ = keep
        self.terms_ = corpus.terms[keep]
        self.vocabulary_ = {str(t): i for i, t in enumerate(self.terms_)}
        n = x.shape[0]
        self.idf_ = np.log((1.0 + n) / (1.0 + df[keep])) + 1.0
        return self._weigh(x[:, keep])

    def transform(self, docs: Sequence[str]) -> Any:
        from sklearn.feature_extraction.text import CountVectorizer

        texts = [t if isinstance(t, str) else str(t) for t in docs]
        for corpus in reversed(_CORPORA):
            rows = corpus.rows_of(texts) if corpus.ngram_range == self.ngram_range else None
            same = rows is not None and len(corpus.terms) > self.columns_.max()
            if same and (corpus.terms[self.columns_] == self.terms_).all():
                return self._weigh(corpus.counts[rows][:, self.columns_])
        counter = CountVectorizer(
            ngram_range=self.ngram_range, vocabulary=self.vocabulary_, dtype=float
        )
        return self._weigh(counter.transform(texts))

    def _weigh(self, counts: Any) -> Any:
        import numpy as np
        from sklearn.preprocessing import normalize

        x = counts.astype(np.float64).tocsr(copy=True)
        np.log(x.data, out=x.data)
        x.data += 1.0
        x = x.multiply(self.idf_).tocsr()
        return normalize(x, norm="l2", copy=False)
