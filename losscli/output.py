"""Writing `-o PATH` so that a failure never leaves half a file behind.

The text goes to a temporary file in the same folder, which is then renamed over the target:
a reader sees the old file or the whole new one, never a truncated one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile

from losscli.errors import DataError


def write_atomically(path: str, content: str | bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".losscli-", suffix=".tmp")
    except OSError as error:
        raise DataError(f"{path}: cannot write here ({error.strerror})") from None
    try:
        os.fchmod(handle, _mode_for(path))
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise DataError(f"{path}: cannot write ({error.strerror})") from None
        raise


def _mode_for(path: str) -> int:
    """Keep an existing file's permissions; a new file gets what the umask allows."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
