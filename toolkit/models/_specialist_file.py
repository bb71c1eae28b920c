"""The specialist's file: a safe archive, read without running any code.

A fitted TF-IDF + logistic-regression specialist is stored as a NumPy ``.npz`` archive (a zip
file) of plain arrays and one JSON text: each vectorizer's settings, vocabulary and idf
weights, and the classifier's classes, coefficients and intercepts. Loading it uses
``numpy.load(allow_pickle=False)`` and recomputes the prediction with array arithmetic (the
analyzer is scikit-learn's own, rebuilt from the stored settings), so a crafted file can at
worst fail to load. A pickle (joblib) file runs code when it is loaded: the toolkit reads one
only when the executor says ``allow_pickle = true``.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from toolkit._errors import InputError, located

FORMAT = "toolkit-specialist"
FORMAT_VERSION = 2
#: The vectorizer settings kept (those that change what a text becomes); all are plain values.
_SETTINGS = ("analyzer", "ngram_range", "lowercase", "sublinear_tf", "norm", "token_pattern")


def is_archive(path: Path) -> bool:
    """True when ``path`` is a zip archive (the safe format), by its first bytes."""
    with path.open("rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def save_archive(pipe: Any, meta: dict[str, Any], path: Path) -> Path:
    """Write a fitted FeatureUnion-of-TfidfVectorizers + LogisticRegression pipeline and its
    metadata as a safe archive, atomically."""
    features, clf = pipe.named_steps["features"], pipe.named_steps["clf"]
    arrays: dict[str, npt.NDArray[Any]] = {}
    parts = []
    for k, (name, vec) in enumerate(features.transformer_list):
        params = vec.get_params()
        settings = {s: params[s] for s in _SETTINGS}
        settings["ngram_range"] = list(settings["ngram_range"])
        terms = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
        parts.append({"name": name, "settings": settings, "terms": terms})
        arrays[f"idf_{k}"] = np.asarray(vec.idf_, dtype=np.float64)
    arrays["coef"] = np.asarray(clf.coef_, dtype=np.float64)
    arrays["intercept"] = np.asarray(clf.intercept_, dtype=np.float64)
    head = {
        **meta,
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "classes": [str(c) for c in clf.classes_],
        "features": parts,
    }
    arrays["meta"] = np.frombuffer(json.dumps(head).encode("utf-8"), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(buf.getvalue())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


class SpecialistModel:
    """A specialist read from its archive: ``predict(texts)`` and its metadata."""

    def __init__(self, meta: dict[str, Any], arrays: dict[str, npt.NDArray[np.float64]]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.meta = meta
        self.classes = [str(c) for c in meta["classes"]]
        self._coef, self._intercept = arrays["coef"], arrays["intercept"]
        self._parts = []
        for k, part in enumerate(meta["features"]):
            settings = dict(part["settings"])
            settings["ngram_range"] = tuple(settings["ngram_range"])
            analyzer = TfidfVectorizer(**settings).build_analyzer()
            index = {t: i for i, t in enumerate(part["terms"])}
            self._parts.append((analyzer, index, arrays[f"idf_{k}"], settings))

    def features(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """The TF-IDF features of ``texts``, each vectorizer's block L2-normalised, as the
        fitted pipeline computes them (dense: specialists are small)."""
        blocks = []
        for analyzer, index, idf, settings in self._parts:
            x = np.zeros((len(texts), len(index)), dtype=np.float64)
            for row, text in enumerate(texts):
                for token in analyzer(text):
                    col = index.get(token)
                    if col is not None:
                        x[row, col] += 1.0
            if settings["sublinear_tf"]:  # tf -> 1 + log(tf) on the counts present
                nz = x > 0
                x[nz] = np.log(x[nz]) + 1.0
            x *= idf
            if settings["norm"] == "l2":
                norms = np.linalg.norm(x, axis=1, keepdims=True)
                x = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
            blocks.append(x)
        return np.hstack(blocks)

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The predicted label of each text (the classifier's argmax)."""
        scores = self.features(texts) @ self._coef.T + self._intercept
        # two classes: one column, positive means the second
        binary = scores.shape[1] == 1
        picks = (scores[:, 0] > 0).astype(int) if binary else scores.argmax(axis=1)
        return [self.classes[i] for i in picks]


def load_archive(path: Path, shown: str) -> SpecialistModel:
    """Read a specialist archive; an InputError naming ``shown`` when it is not one."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: np.asarray(data[k]) for k in data.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ValueError("not a toolkit specialist archive")
        return SpecialistModel(meta, arrays)
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise InputError(
            located(shown, None, "model_path", f"not a usable specialist file ({exc})")
        ) from None
