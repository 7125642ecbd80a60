"""Writing `-o PATH` and pictures as a Unix tool does: a regular file is replaced whole and never
half-written, and nothing losscli does not own is renamed over.

* `-`, `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`: that stream of this process, written to.
* A missing or regular file: a temporary file beside it, renamed over it once whole, so a
  reader sees the old file or the whole new one; its permissions (and, where this process may
  set them, its owner) are kept.
* A symbolic link: the same for the file it names (created if missing); the link stays.
* A character device or a FIFO (`/dev/null`, a named pipe): written to directly.
* A socket: a connection to it.
* Refused: a regular file with other hard links (renaming would split them), a directory, a
  block device.

`check_target` applies these rules before any work, so a bad path is refused before a long
sweep, not after it; `write_output` writes. Refusals are `ParameterError`s of the option's
field; a failure while writing (a full disk) is a `DataError`, and leaves no temporary file.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from losscli.errors import DataError, ParameterError

STDOUT = "-"
"""The path that means standard output."""

STREAMS = {1: "stdout", 2: "stderr"}
"""Descriptors written through Python's own streams (their buffers stay in order)."""

TEMPORARY = (".losscli-", ".tmp")
"""Prefix and suffix of the temporary file beside a target being replaced."""

_DESCRIPTOR = re.compile(r"/(?:dev/fd|proc/self/fd|proc/(\d+)/fd)/(\d+)")


class Target(NamedTuple):
    """How a path is written: `kind` is "descriptor" (`fd`), "replace" (the regular file at
    `path`, links resolved), "stream" (a device or FIFO), or "socket"."""

    kind: str
    path: str
    fd: int = -1


def to_file(path: str | None) -> bool:
    """Whether an `-o` value names something other than standard output."""
    return path is not None and path != STDOUT


def check_target(path: str, field: str) -> Target:
    """How `path` would be written, or a `ParameterError` for `field` saying why it cannot."""
    fd = 1 if path == STDOUT else _descriptor(path)
    if fd is not None:
        try:
            os.fstat(fd)
        except OSError:
            raise ParameterError(field, f"{path}: descriptor {fd} is not open") from None
        return Target("descriptor", path, fd)
    try:
        status = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return _new_file(os.path.realpath(path), path, field)
    except OSError as error:
        raise ParameterError(field, f"{path}: cannot be written ({error.strerror})") from None
    mode = status.st_mode
    if stat.S_ISREG(mode):
        if status.st_nlink > 1:
            raise ParameterError(
                field,
                f"{path}: has {status.st_nlink} hard links, which replacing it would split; "
                "write to another path",
            )
        return _new_file(os.path.realpath(path), path, field)
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return Target("stream", path)
    if stat.S_ISSOCK(mode):
        return Target("socket", path)
    kind = "a directory" if stat.S_ISDIR(mode) else "a block device" if stat.S_ISBLK(mode) else ""
    raise ParameterError(field, f"{path}: is {kind or 'not a file'}, not something to write to")


Content = str | bytes | Iterable[str] | Iterable[bytes]
"""What is written: text (UTF-8) or bytes, whole or as chunks written as they come."""


def write_output(path: str, content: Content, field: str = "output") -> None:
    """Write `content` to `path` by the rules of the module docstring. Chunks are written as
    they come, so a long output need not be held whole; a regular file is still replaced
    only once every chunk is written, and an error while making them leaves no file."""
    target = check_target(path, field)
    chunks = _encoded(content)
    try:
        if target.kind == "replace":
            _replace(target.path, chunks)
        elif target.kind == "descriptor" and target.fd in STREAMS:
            stream = getattr(sys, STREAMS[target.fd])
            stream.flush()
            for data in chunks:
                stream.buffer.write(data)
                stream.buffer.flush()
        elif target.kind == "descriptor":
            with os.fdopen(os.dup(target.fd), "wb") as stream:
                stream.writelines(chunks)
        elif target.kind == "stream":
            with open(target.path, "wb") as stream:
                stream.writelines(chunks)
        else:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.connect(target.path)
                for data in chunks:
                    connection.sendall(data)
    except OSError as error:
        raise DataError(f"{path}: cannot write ({error.strerror})") from None


def _encoded(content: Content) -> Iterator[bytes]:
    """The content's chunks as bytes (text in UTF-8), one at a time."""
    chunks = [content] if isinstance(content, str | bytes) else content
    for chunk in chunks:
        yield chunk.encode("utf-8") if isinstance(chunk, str) else chunk


def _descriptor(path: str) -> int | None:
    """The descriptor of this process that `path` names (`/dev/stdout` is fd 1), if any: the
    symbolic links are followed one by one, up to one of /dev/fd/N or /proc/self/fd/N."""
    for _ in range(40):
        match = _DESCRIPTOR.fullmatch(path)
        if match and match.group(1) in (None, str(os.getpid())):
            return int(match.group(2))
        if not os.path.islink(path):
            return None
        path = os.path.join(os.path.dirname(path), os.readlink(path))
    return None


def _new_file(real: str, path: str, field: str) -> Target:
    """A regular file to be created or replaced at `real`: its folder must take a new file."""
    folder = os.path.dirname(real)
    if not os.path.isdir(folder):
        problem = "is not a folder" if os.path.exists(folder) else "does not exist"
        named = folder if os.path.islink(path) else os.path.dirname(path) or "."
        raise ParameterError(field, f"{path}: the folder {named} {problem}")
    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=TEMPORARY[0], suffix=TEMPORARY[1])
    except OSError as error:
        raise ParameterError(
            field, f"{path}: cannot write in {folder} ({error.strerror})"
        ) from None
    os.close(handle)
    os.unlink(probe)
    return Target("replace", real)


def _replace(path: str, chunks: Iterable[bytes]) -> None:
    """A temporary file beside `path`, renamed over it once every chunk is written; removed
    on any failure (one raised while making the chunks too), Ctrl-C and termination included."""
    folder = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=TEMPORARY[0], suffix=TEMPORARY[1])
    try:
        _keep_owner_and_mode(handle, path)
        with os.fdopen(handle, "wb") as stream:
            stream.writelines(chunks)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _keep_owner_and_mode(handle: int, path: str) -> None:
    """An existing file's permissions and, where this process may set them, owner and group;
    a new file gets what the umask allows."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(handle, 0o666 & ~umask)
        return
    with contextlib.suppress(PermissionError):
        os.fchown(handle, status.st_uid, status.st_gid)
    os.fchmod(handle, status.st_mode & 0o777)
