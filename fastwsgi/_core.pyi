"""Type stub of the compiled engine (fastwsgi/_core.pyx)."""

from collections.abc import Callable, Iterable, Iterator, Sequence
from socket import socket
from typing import Any, TypeAlias

from fastwsgi.engine.settings import EngineSettings

WSGIApp: TypeAlias = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Server:
    requests: int
    current: dict[str, Any] | None
    current_since: float
    stopping: bool
    nconns: int
    epfd: int

    def __init__(
        self,
        app: WSGIApp,
        listeners: Sequence[socket] = (),
        settings: EngineSettings | None = None,
        *,
        url_scheme: str = "http",
        errors: Any = None,
        multithread: bool = False,
        error_logger: Any = None,
        on_response: Callable[[dict[str, Any], str, list[tuple[str, str]], int, float], None]
        | None = None,
        pre_request: Callable[[dict[str, Any]], None] | None = None,
        tick: Callable[[], None] | None = None,
        counters: Any = None,
    ) -> None: ...
    def serve(self) -> None: ...
    def stop(self, graceful: bool = True) -> None: ...
    def connection(self, listener_index: int = 0, remote: tuple[str, int] = ...,
                   trusted: bool | None = None, proxy: bool = False) -> Connection: ...


class TLSError(ValueError): ...


class TLSContext:
    adopted: bool
    verify_mode: int
    options: int
    @staticmethod
    def from_settings(certfile: str, keyfile: str | None = None, *, password: str | None = None,
                      ca_certs: str | None = None, cert_reqs: int = 0,
                      ciphers: str | None = None,
                      suppress_ragged_eofs: bool = True) -> TLSContext: ...
    @staticmethod
    def adopt(context: Any, suppress_ragged_eofs: bool = True) -> TLSContext: ...


class Connection:
    fd: int
    state: int
    @property
    def closing(self) -> bool: ...
    def feed(self, data: bytes) -> None: ...
    def take_output(self) -> bytes: ...
    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...


class StartResponse:
    status: str | None
    headers: list[tuple[str, str]] | None
    def __call__(self, status: str, headers: list[tuple[str, str]],
                 exc_info: Any = None) -> Callable[[bytes], None]: ...


class Input:
    def read(self, size: int | None = -1) -> bytes: ...
    def readline(self, size: int | None = -1) -> bytes: ...
    def readlines(self, hint: int | None = -1) -> list[bytes]: ...
    def __iter__(self) -> Iterator[bytes]: ...
    def __next__(self) -> bytes: ...
    def close(self) -> None: ...


class FileWrapper:
    filelike: Any
    blksize: int
    def __init__(self, filelike: Any, blksize: int = 8192) -> None: ...
    def __iter__(self) -> Iterator[bytes]: ...
    def __next__(self) -> bytes: ...
    def close(self) -> None: ...


def make_base_environ(sockname: Any, *, script_name: str = "", url_scheme: str = "http",
                      errors: Any = None, multithread: bool = False, multiprocess: bool = False,
                      file_wrapper: Any = None) -> dict[str, Any]: ...


def release_free_memory() -> None: ...


def answer_abandoned(server: Server) -> int: ...


def counters_layout() -> tuple[int, tuple[tuple[str, int, int], ...], tuple[float, ...],
                               tuple[int, ...]]: ...
