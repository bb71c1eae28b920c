"""Sentence embeddings for the embedding signals, cached on disk.

The model is WordLlama's ``l2_supercat`` at 256 dimensions (the ``embed`` extra,
``pip install 'toolkit[embed]'``): its weights and tokenizer ship inside the PyPI wheel (19 MB),
it needs numpy, ``tokenizers`` and ``safetensors`` but no torch, and it encodes thousands of
prompts a second on two CPU cores. docs/offline-evaluation.md says why it was chosen over
all-MiniLM-L6-v2.

Every vector is cached, keyed by the model's identity and the SHA-256 of the text, in SQLite at
``$TOOLKIT_CACHE_DIR/embeddings.sqlite`` (else ``~/.cache/toolkit/embeddings.sqlite``) and in
memory, so re-fitting, cross-validation and threshold sweeps never encode a text twice. Each
batch is committed as it is encoded: a killed run keeps what it encoded. Encoding more than
``PROGRESS_MIN`` texts shows a progress bar on stderr.
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from toolkit._errors import InputError
from toolkit.registry import EMBED_EXTRA

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vectors = npt.NDArray[np.float32]

#: The module whose presence makes the embedding signals available.
EMBED_MODULE = "wordllama"
EMBED_FILE = "embeddings.sqlite"
#: Texts to encode before a progress bar is shown.
PROGRESS_MIN = 300
_BATCH = 512
_MEMO_MAX = 500_000  # vectors kept in memory (256 float32 each: about 0.5 GB at most)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL,
    hash TEXT NOT NULL,
    vec BLOB NOT NULL,
    PRIMARY KEY (model, hash)
) WITHOUT ROWID
"""


def text_hash(text: str) -> str:
    """The cache key of a text: SHA-256 of its UTF-8 bytes (lone surrogates kept)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def default_embedding_cache() -> Path:
    """Where embeddings are cached: beside the response cache."""
    from toolkit.models import default_cache_path

    return default_cache_path().with_name(EMBED_FILE)


class Encoder:
    """Encodes texts to l2-normalised float32 vectors through the disk and memory cache.

    ``encoded`` counts texts run through the model, ``hits`` texts served from a cache: a
    re-fit on the same texts adds only hits.
    """

    def __init__(self, *, cache_path: str | Path | None = None) -> None:
        self.cache_path = Path(cache_path) if cache_path is not None else None
        self.encoded = 0
        self.hits = 0
        self._model: Any = None
        self._memo: dict[str, Vectors] = {}
        self._lock = threading.RLock()
        self.model_id = ""

    def _load(self) -> Any:
        if self._model is None:
            try:
                import wordllama  # type: ignore[import-not-found,import-untyped,unused-ignore]
            except ImportError:
                raise InputError(
                    f"the embedding signals need the embed extra: {EMBED_EXTRA}"
                ) from None
            self._model = _bundled_wordllama(wordllama)
            self.model_id = f"wordllama-{_WORDLLAMA_MODEL}/{wordllama.__version__}"
        return self._model

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One l2-normalised row per text, from the caches where they hold it."""
        import numpy as np

        docs = [t if isinstance(t, str) else str(t) for t in texts]
        with self._lock:
            model = self._load()
            keys = [text_hash(t) for t in docs]
            missing = list(dict.fromkeys(k for k in keys if k not in self._memo))
            if missing:
                self._read_disk(missing)
            todo: dict[str, str] = {}
            for key, text in zip(keys, docs, strict=True):
                if key not in self._memo:
                    todo.setdefault(key, text)
            self.hits += len(docs) - len(todo)
            if todo:
                self._encode_new(model, todo)
            out = np.empty((len(docs), model.embedding.shape[1]), dtype=np.float32)
            for i, key in enumerate(keys):
                out[i] = self._memo[key]
            if len(self._memo) > _MEMO_MAX:
                self._memo.clear()
            return out

    def _encode_new(self, model: Any, todo: dict[str, str]) -> None:
        import numpy as np
        from tqdm import tqdm

        items = list(todo.items())
        bar = tqdm(
            total=len(items),
            desc="encoding prompts",
            unit="prompt",
            file=sys.stderr,
            disable=len(items) < PROGRESS_MIN,
            dynamic_ncols=True,
        )
        with bar, self._connect() as conn:
            for lo in range(0, len(items), _BATCH):
                chunk = items[lo : lo + _BATCH]
                vecs = np.asarray(model.embed([t for _, t in chunk], norm=True), dtype=np.float32)
                rows = []
                for (key, _), vec in zip(chunk, vecs, strict=True):
                    self._memo[key] = vec
                    rows.append((self.model_id, key, vec.tobytes()))
                if conn is not None:
                    with conn:
                        conn.executemany("INSERT OR IGNORE INTO vectors VALUES (?, ?, ?)", rows)
                self.encoded += len(chunk)
                bar.update(len(chunk))

    def _read_disk(self, keys: list[str]) -> None:
        import numpy as np

        with self._connect() as conn:
            if conn is None:
                return
            for lo in range(0, len(keys), 900):
                part = keys[lo : lo + 900]
                marks = ",".join("?" * len(part))
                rows = conn.execute(
                    f"SELECT hash, vec FROM vectors WHERE model = ? AND hash IN ({marks})",
                    [self.model_id, *part],
                ).fetchall()
                for key, blob in rows:
                    self._memo[key] = np.frombuffer(blob, dtype=np.float32)

    def _connect(self) -> _Connection:
        return _Connection(self.cache_path or default_embedding_cache())


_WORDLLAMA_MODEL = "l2_supercat_256"


def _bundled_wordllama(wordllama: Any) -> Any:
    """The model from the files inside the wheel. (``WordLlama.load`` looks for the tokenizer
    in ``tokenizer/`` while the wheel ships it in ``tokenizers/``, then tries to download it.)"""
    from safetensors import safe_open  # type: ignore[import-not-found,import-untyped,unused-ignore]
    from tokenizers import Tokenizer  # type: ignore[import-not-found,import-untyped,unused-ignore]
    from wordllama.inference import (  # type: ignore[import-not-found,import-untyped,unused-ignore]
        WordLlamaInference,
    )

    root = Path(wordllama.__file__).parent
    tokenizer = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
    with safe_open(str(root / "weights" / f"{_WORDLLAMA_MODEL}.safetensors"), "np") as f:
        weights = f.get_tensor("embedding.weight")
    return WordLlamaInference(weights, tokenizer, binary=False)


class _Connection:
    """A SQLite connection to the embedding cache, or None (with a warning) when the cache
    cannot be opened: the vectors are then only kept in memory."""

    _warned: ClassVar[set[Path]] = set()

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn: sqlite3.Connection | None = None

    def __enter__(self) -> sqlite3.Connection | None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=60.0)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)
            self.conn = conn
        except (OSError, sqlite3.Error) as exc:
            if self.path not in self._warned:
                self._warned.add(self.path)
                print(
                    f"warning: embedding cache {self.path} cannot be used ({exc}); "
                    "vectors are kept in memory only",
                    file=sys.stderr,
                )
        return self.conn

    def __exit__(self, *exc: object) -> None:
        if self.conn is not None:
            self.conn.close()


_ENCODER: Encoder | None = None
_ENCODER_LOCK = threading.Lock()


def encoder() -> Encoder:
    """The process's shared encoder (one model load, one memory cache)."""
    global _ENCODER
    with _ENCODER_LOCK:
        if _ENCODER is None:
            _ENCODER = Encoder()
        return _ENCODER


def embed(texts: Sequence[str]) -> Vectors:
    """The shared encoder's vectors of ``texts`` (see :class:`Encoder`)."""
    return encoder().encode(texts)
