"""wsgi.file_wrapper over a 10 MiB file (created once in a temp dir at import).

A server without wsgi.file_wrapper gets a plain 64 KiB-chunk iterator instead;
the X-File-Wrapper response header says which one was used ("native"/"fallback").
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

SIZE = 10 * 1024 * 1024
BLOCK = 64 * 1024


def data_dir() -> Path:
    """Directory shared by the apps and the runner (nginx serves the same file)."""
    return Path(
        os.environ.get("BENCH_DATA_DIR") or Path(tempfile.gettempdir()) / "fastwsgi-bench-data"
    )


def ensure_file(size: int = SIZE) -> Path:
    """Create (atomically, once) a file of `size` bytes with a fixed pattern."""
    path = data_dir() / f"file-{size}.bin"
    if path.exists() and path.stat().st_size == size:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    block = (b"fastwsgi-bench.." * (BLOCK // 16))[:BLOCK]
    with open(tmp, "wb") as f:
        f.writelines(block for _ in range(size // BLOCK))
        f.write(block[: size % BLOCK])
    os.replace(tmp, path)
    return path


PATH = ensure_file()
HEADERS_NATIVE = [
    ("Content-Type", "application/octet-stream"),
    ("Content-Length", str(SIZE)),
    ("X-File-Wrapper", "native"),
]
HEADERS_FALLBACK = [
    ("Content-Type", "application/octet-stream"),
    ("Content-Length", str(SIZE)),
    ("X-File-Wrapper", "fallback"),
]


def _chunks(f: BinaryIO) -> Iterator[bytes]:
    try:
        while True:
            data = f.read(BLOCK)
            if not data:
                return
            yield data
    finally:
        f.close()


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    f = open(PATH, "rb")  # noqa: SIM115  (closed by the server via the wrapper's close(), or by _chunks)
    wrapper = environ.get("wsgi.file_wrapper")
    if wrapper is not None:
        start_response("200 OK", HEADERS_NATIVE)
        return wrapper(f, BLOCK)
    start_response("200 OK", HEADERS_FALLBACK)
    return _chunks(f)
