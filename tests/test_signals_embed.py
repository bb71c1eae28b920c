"""The embedding signals (the ``embed`` extra): the encoder's disk cache, each signal's fit, CV
and predictions, and what a checkout without the extra sees. Texts and scores are SYNTHETIC."""

from __future__ import annotations

import importlib.util
import random
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from toolkit.cli import main

pytest.importorskip("wordllama", reason="the embed extra is not installed (pip install '.[embed]')")

EMBED = ("embed_logreg", "embed_knn", "embed_mlp", "mf")
TOPICS = {
    "math": "integral derivative equation algebra matrix theorem proof calculus",
    "cooking": "recipe oven flour butter sugar bake dough garlic",
    "travel": "flight hotel passport beach museum train ticket island",
}


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _tasks(n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """SYNTHETIC: executor a solves math, b cooking, c travel."""
    rng = random.Random(seed)
    texts, scores = [], []
    for i in range(n):
        topic = list(TOPICS)[i % 3]
        words = TOPICS[topic].split()
        texts.append(f"{i}: " + " ".join(rng.choice(words) for _ in range(rng.randint(4, 9))))
        scores.append([topic == "math", topic == "cooking", topic == "travel"])
    return texts, np.array(scores, dtype=float)


@pytest.mark.parametrize("name", EMBED)
def test_each_embedding_signal_learns_who_solves_what(name: str) -> None:
    from toolkit.signals import make_signal

    texts, y = _tasks(150)
    sig = make_signal(name, seed=0).fit(texts[:120], y[:120])
    pred = sig.predict_proba(texts[120:])
    assert pred.shape == (30, 3) and np.all((pred >= 0) & (pred <= 1))
    # the predicted best executor of a held-out task is one that solves it
    best = pred.argmax(axis=1)
    assert (y[120:][np.arange(30), best] == 1).mean() >= 0.9
    # the hyper-parameter was chosen by CV on the train rows, and the table kept
    assert sig.cv_results_ and sig.best_params_
    (param, grid), (loss, values) = list(sig.cv_results_.items())
    assert loss in ("log_loss", "mse") and len(values) == len(grid) >= 2
    assert sig.best_params_[param] == grid[int(np.argmin(values))]
    assert sig.clone().get_params() == sig.get_params()


def test_a_setting_given_is_used_as_given_without_cv() -> None:
    from toolkit.signals import make_signal

    texts, y = _tasks(60)
    sig = make_signal("embed_knn", k=3).fit(texts, y)
    assert sig.k_ == 3 and sig.cv_results_ == {}
    sig = make_signal("embed_logreg", C=1.0, calibrate=False).fit(texts, y)
    assert sig.C_ == 1.0 and sig.cv_results_ == {}
    with pytest.raises(ValueError, match="k must be at least 1"):
        make_signal("embed_knn", k=0).fit(texts, y)


def test_embed_knn_equals_a_brute_force_cosine_search() -> None:
    from toolkit.signals import make_signal
    from toolkit.signals._embedding import embed

    texts, y = _tasks(50)
    sig = make_signal("embed_knn", k=4).fit(texts[:40], y[:40])
    train, query = embed(texts[:40]), embed(texts[40:])
    sim = query @ train.T
    want = np.array([y[:40][np.argsort(-row, kind="stable")[:4]].mean(axis=0) for row in sim])
    assert np.allclose(sig.predict_proba(texts[40:]), want)


def test_logreg_probabilities_are_calibrated_on_out_of_fold_predictions() -> None:
    from toolkit.signals import make_signal

    texts, y = _tasks(300, seed=1)
    rng = np.random.default_rng(0)
    y = (rng.random(y.shape) < np.where(y == 1, 0.8, 0.2)).astype(float)  # SYNTHETIC noise
    sig = make_signal("embed_logreg").fit(texts[:240], y[:240])
    p = sig.predict_proba(texts[240:])
    # predicted 0.8-ish where the rate is 0.8: mean prediction within 0.1 of the held-out rate
    for j in range(3):
        assert abs(p[:, j].mean() - y[240:, j].mean()) < 0.1
    assert sig.platt_.shape == (3, 2)


def test_refit_encodes_nothing_and_a_new_process_reads_the_disk_cache(_cache_dir: Path) -> None:
    from toolkit.signals import make_signal
    from toolkit.signals._embedding import Encoder, encoder

    texts, y = _tasks(90, seed=5)
    texts = [f"refit {t}" for t in texts]
    before = encoder().encoded
    make_signal("embed_knn", k=5).fit(texts, y)
    assert encoder().encoded - before == 90
    make_signal("mf", C=1.0).fit(texts, y)  # another signal on the same texts
    assert encoder().encoded - before == 90
    db = _cache_dir / "embeddings.sqlite"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM vectors").fetchone()[0] >= 90
    fresh = Encoder()  # as a new process would: an empty memory cache
    vecs = fresh.encode(texts)
    assert fresh.encoded == 0 and fresh.hits == 90
    assert np.allclose(vecs, encoder().encode(texts))


def test_a_progress_bar_shows_for_many_prompts(capsys: pytest.CaptureFixture[str]) -> None:
    from toolkit.signals._embedding import PROGRESS_MIN, Encoder

    enc = Encoder()
    enc.encode([f"few {i}" for i in range(10)])
    assert "encoding prompts" not in capsys.readouterr().err
    enc.encode([f"many {i}" for i in range(PROGRESS_MIN + 5)])
    assert "encoding prompts" in capsys.readouterr().err


def test_an_unusable_cache_warns_and_keeps_vectors_in_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from toolkit.signals._embedding import Encoder

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    enc = Encoder(cache_path=blocker / "embeddings.sqlite")
    first = enc.encode(["a cached text", "another"])
    assert "cannot be used" in capsys.readouterr().err
    assert np.allclose(enc.encode(["a cached text"]), first[:1]) and enc.encoded == 2


def test_evaluate_routes_with_an_embedding_signal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from toolkit.outcomes import OutcomeMatrix

    texts, y = _tasks(120, seed=3)
    matrix = OutcomeMatrix.build(
        task_ids=[f"t{i}" for i in range(120)],
        executors=("a", "b", "c"),
        score=y,
        text=texts,
        cost_usd=np.tile([0.001, 0.002, 0.01], (120, 1)),
    )
    path = tmp_path / "o.parquet"
    matrix.to_parquet(path)
    code = main(["evaluate", str(path), "--strategy", "score_router:mf", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert '"score_router:mf' in out.out


def test_without_the_extra_each_embedding_signal_is_listed_unavailable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from toolkit._errors import InputError
    from toolkit.registry import REGISTRY
    from toolkit.signals import make_signal

    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == "wordllama" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    # as in a fresh process: the embedding module not yet imported
    saved = {
        n: REGISTRY._entries["signal"].pop(n) for n in EMBED if n in REGISTRY._entries["signal"]
    }
    try:
        assert main(["plugins"]) == 0
        out = capsys.readouterr().out
        for name in EMBED:
            line = next(ln for ln in out.splitlines() if ln.strip().startswith(name + " "))
            assert "[needs: pip install 'toolkit[embed]'" in line
        tfidf = next(ln for ln in out.splitlines() if ln.strip().startswith("tfidf_logreg "))
        assert "needs" not in tfidf
        with pytest.raises(InputError, match=r"toolkit\[embed\]"):
            make_signal("embed_knn")
    finally:
        REGISTRY._entries["signal"].update(saved)
