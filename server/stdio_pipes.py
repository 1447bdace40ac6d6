"""stdin and stdout served from the event loop itself, where they are pipes or sockets.

The SDK's ``stdio_server`` reads stdin and writes stdout through ``anyio.wrap_file``: every line
read, every write and every flush is a hand-off to a worker thread and back (a futex wake one
way, a self-pipe write the other), three per ``tools/call`` (docs/performance.md, "Latency
over stdio"). Here the loop waits on stdin itself and writes stdout through asyncio's pipe
transport, so a request line reaches the dispatcher and its answer reaches stdout without a
thread.

What stays as the SDK does it: fd 0 and fd 1 are claimed the same way (``mcp.server.stdio``'s
claim: the wire moves to private descriptors, fd 0 reads the null device and fd 1 writes to
stderr, both restored on exit), each line is decoded as UTF-8 with invalid bytes replaced and
validated into a ``SessionMessage`` (or the exception, which the dispatcher's reader sees), a
final line without a newline is still read at EOF, lines of any length are read, and each
answer is one compact JSON line. Lines end at ``\n`` (MCP's stdio transport: messages are
newline-delimited); a ``\r`` before it is JSON whitespace.

:func:`pipe_streams` yields ``None`` where this cannot be done safely, and the caller uses the
SDK's transport: on Windows (its proactor loop has no readers for pipes), on another async
library than asyncio, and when stdin or stdout is a file or a terminal, or shares its open file
with another of fd 0, 1 or 2 (stdout is made non-blocking, which would make a shared stderr
non-blocking too).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import stat
import sys
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from types import FrameType
from typing import IO, Any

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream
from mcp.shared.message import SessionMessage
from mcp_types import jsonrpc_message_adapter

try:  # the SDK's own claim of fd 0 and 1 (private: without it, the SDK's transport serves)
    from mcp.server.stdio import _claim_fd, _open_stdin_diversion, _open_stdout_diversion
except ImportError:  # pragma: no cover - tests/server/test_stdio_pipes.py fails if this happens
    _claim_fd = None  # type: ignore[assignment]

logger = logging.getLogger("twilio_memory_mcp.stdio")

# The most stdin bytes read at once (asyncio's pipe transport reads as much).
_READ_SIZE = 256 * 1024
# Reading pauses while this many complete lines, or this many bytes of them, wait for the
# dispatcher, which takes one line at a time: a client that floods stdin is held in its pipe.
_MAX_WAITING_LINES = 64
_MAX_WAITING_BYTES = 4 * 1024 * 1024
# How long closing waits for answers still buffered for a client that stopped reading.
_FLUSH_WINDOW = 2.0


def _usable(fd: int, stream: Any) -> os.stat_result | None:
    """fd's status if it is a pipe or a socket behind the sys stream, else None."""
    try:
        if stream is None or stream.fileno() != fd:
            return None
        status = os.fstat(fd)
    except (AttributeError, OSError, ValueError):
        return None
    if stat.S_ISFIFO(status.st_mode) or stat.S_ISSOCK(status.st_mode):
        return status
    return None


def _eligible() -> bool:
    if sys.platform == "win32" or _claim_fd is None:
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # another async library than asyncio
        return False
    stdin, stdout = _usable(0, sys.stdin), _usable(1, sys.stdout)
    if stdin is None or stdout is None:
        return False
    files = [(stdin.st_dev, stdin.st_ino), (stdout.st_dev, stdout.st_ino)]
    with contextlib.suppress(OSError):
        stderr = os.fstat(2)
        files.append((stderr.st_dev, stderr.st_ino))
    return len(set(files)) == len(files)


@contextlib.asynccontextmanager
async def pipe_streams() -> AsyncIterator[tuple[PipeReadStream, PipeWriteStream] | None]:
    """The read and write streams over stdin and stdout, or None where the SDK's are needed."""
    if not _eligible():
        yield None
        return
    stdin_file, release_stdin = _claim_fd(0, sys.stdin, "rb", _open_stdin_diversion)
    try:
        stdout_file, release_stdout = _claim_fd(1, sys.stdout, "wb", _open_stdout_diversion)
        try:
            async with open_streams(stdin_file.fileno(), stdout_file.fileno()) as streams:
                yield streams
        finally:
            if release_stdout is not None:
                release_stdout()
    finally:
        if release_stdin is not None:
            release_stdin()


@contextlib.asynccontextmanager
async def open_streams(in_fd: int, out_fd: int) -> AsyncIterator[tuple[PipeReadStream, PipeWriteStream]]:
    """Streams over two descriptors (pipes or sockets); neither is closed on exit."""
    loop = asyncio.get_running_loop()
    lines = _Lines(loop, in_fd)
    answers = _Answers(lines)
    # A file object of our own, which closing does not close: the transport closes its "pipe"
    # when done, and the descriptor is not its to close.
    out_pipe: IO[bytes] = os.fdopen(out_fd, "wb", closefd=False)
    # The loop makes the descriptor non-blocking, and stdout's open file may be shared with
    # the process that started this one (a shell, a supervisor): its flag is put back as it
    # was on every way out, SIGTERM's included.
    was_blocking = os.get_blocking(out_fd)
    transport, _ = await loop.connect_write_pipe(lambda: answers, out_pipe)
    terminated = _RestoringOnSigterm(lambda: os.set_blocking(out_fd, was_blocking))
    try:
        lines.start()
        yield PipeReadStream(lines), PipeWriteStream(answers, transport)
    finally:
        lines.stop()
        try:
            await answers.close(transport)
        finally:
            os.set_blocking(out_fd, was_blocking)
            terminated.uninstall()


class _RestoringOnSigterm:
    """A SIGTERM handler that runs ``restore`` and then dies of SIGTERM as it would have
    (status -15 to a parent): the default action kills the process with no ``finally`` run.
    Installed only where SIGTERM has its default action and in the main thread."""

    def __init__(self, restore: Callable[[], None]) -> None:
        self._restore = restore
        self._installed = False
        main = threading.current_thread() is threading.main_thread()
        if main and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, self._handle)
            self._installed = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self._restore()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    def uninstall(self) -> None:
        if self._installed and signal.getsignal(signal.SIGTERM) == self._handle:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        self._installed = False


class _Lines:
    """Complete lines read from stdin as the loop sees it readable, oldest first.

    The descriptor stays blocking (its open file may be shared with the process that started
    this one): it is read only when the loop reports it readable, and a readable pipe or socket
    returns what it holds without waiting.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, fd: int) -> None:
        self._loop = loop
        self._fd = fd
        self._partial = bytearray()
        self._lines: deque[bytes] = deque()
        self._waiting_bytes = 0
        self._reading = False
        self._ended = False
        self._waiter: asyncio.Future[None] | None = None

    def start(self) -> None:
        self._resume()

    def stop(self) -> None:
        """No more lines: the connection is ending."""
        self._pause()
        self._end()

    def _resume(self) -> None:
        if not self._reading and not self._ended:
            self._loop.add_reader(self._fd, self._readable)
            self._reading = True

    def _pause(self) -> None:
        if self._reading:
            self._loop.remove_reader(self._fd)
            self._reading = False

    def _end(self) -> None:
        self._ended = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _readable(self) -> None:
        try:
            data = os.read(self._fd, _READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:
            logger.info("stdin could not be read (%s): stopping", type(error).__name__)
            data = b""
        if not data:
            self._pause()
            if self._partial:  # a last line without a newline is still a line
                self._lines.append(bytes(self._partial))
                self._partial.clear()
            self._end()
            return
        last = data.rfind(b"\n")
        if last < 0:
            self._partial += data
            return
        if self._partial:
            self._partial += data[:last]
            block = bytes(self._partial)
            self._partial.clear()
        else:
            block = data[:last]
        new = block.split(b"\n")
        self._lines.extend(new)
        self._waiting_bytes += len(block)
        self._partial += data[last + 1 :]
        self._wake()
        if len(self._lines) >= _MAX_WAITING_LINES or self._waiting_bytes >= _MAX_WAITING_BYTES:
            self._pause()

    async def next(self) -> bytes | None:
        """The next line, without its newline; None at the end of stdin."""
        while not self._lines:
            if self._ended:
                return None
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        line = self._lines.popleft()
        self._waiting_bytes -= len(line)
        if not self._lines:
            self._waiting_bytes = 0
            self._resume()
        return line


class _Answers(asyncio.Protocol):
    """The write side's flow control, and the end of the connection when stdout breaks."""

    def __init__(self, lines: _Lines) -> None:
        self._lines = lines
        self._writable: asyncio.Event | None = None
        self._closed: asyncio.Future[None] | None = None
        self.lost = False
        self.closing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._closed = asyncio.get_running_loop().create_future()

    def pause_writing(self) -> None:
        if self._writable is None:
            self._writable = asyncio.Event()
        self._writable.clear()

    def resume_writing(self) -> None:
        if self._writable is not None:
            self._writable.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if not self.closing:
            # The client closed its end of stdout: no answer can reach it, so stop reading.
            logger.info("stdout was closed by the client: stopping")
            self._lines.stop()
        if self._writable is not None:
            self._writable.set()
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)

    async def drained(self) -> None:
        if self._writable is not None:
            await self._writable.wait()

    async def close(self, transport: asyncio.WriteTransport) -> None:
        """Close stdout's transport once what it holds is written (or the window ends)."""
        self.closing = True
        transport.close()
        if self._closed is not None:
            with anyio.move_on_after(_FLUSH_WINDOW, shield=True):
                await self._closed
        if not self.lost:
            transport.abort()


class PipeReadStream(ObjectReceiveStream[SessionMessage | Exception]):
    """Messages from stdin, parsed as the SDK's stdio reader parses them."""

    def __init__(self, lines: _Lines) -> None:
        self._lines = lines

    async def receive(self) -> SessionMessage | Exception:
        line = await self._lines.next()
        if line is None:
            raise anyio.EndOfStream
        try:
            message = jsonrpc_message_adapter.validate_json(line.decode("utf-8", "replace"), by_name=False)
        except Exception as error:  # the SDK's reader hands the error on, and so does this one
            return error
        return SessionMessage(message)

    async def aclose(self) -> None:
        self._lines.stop()


class PipeWriteStream(ObjectSendStream[SessionMessage]):
    """Messages to stdout, one compact JSON line each, written by the caller's own task."""

    def __init__(self, answers: _Answers, transport: asyncio.WriteTransport) -> None:
        self._answers = answers
        self._transport = transport
        self._closed = False

    async def send(self, item: SessionMessage, /) -> None:
        if self._closed:
            raise anyio.ClosedResourceError
        if self._answers.lost:
            # stdout broke and the connection is ending: like the SDK's dispatcher does when
            # its stream is gone, drop what no one can read.
            logger.debug("dropped a message: stdout is closed")
            return
        data = item.message.model_dump_json(by_alias=True, exclude_unset=True).encode() + b"\n"
        self._transport.write(data)
        await self._answers.drained()

    async def aclose(self) -> None:
        self._closed = True
