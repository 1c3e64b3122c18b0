"""Reading a script file: a regular file of at most 1 MiB, or a refusal at once (``voiceguide.bounded``).

The spec limits a script to a regular file of at most 1 MiB; its ``phrases:``
overrides come with it.  Anything else (a folder, a device such as
``/dev/zero``, a FIFO with no writer, a huge file) is refused before it is read.
"""

from __future__ import annotations

import os

from voiceguide.bounded import Refused, read_bounded
from voiceguide.errors import UsageError

__all__ = ["MAX_SCRIPT_BYTES", "read_script_file"]

MAX_SCRIPT_BYTES = 1024 * 1024
"""The largest script file accepted (1 MiB, the spec's limit)."""

_HINT = "a script is a regular file of at most 1 MiB (.yaml)"


def read_script_file(path: str | os.PathLike[str], shown: str) -> bytes:
    """A script file's bytes (``shown`` names it in messages); ``UsageError``, unread, for what is no script."""
    try:
        return read_bounded(path, MAX_SCRIPT_BYTES)
    except FileNotFoundError as error:
        raise UsageError(f"cannot read {shown}: {error.strerror or error}",
                         hint="check the path, and that the file is readable") from None
    except Refused as refused:
        raise _usage_error(refused, shown) from None


def _usage_error(refused: Refused, shown: str) -> UsageError:
    if refused.kind == "a folder":
        return UsageError(f"cannot read {shown}: it is a directory", hint="name a script file (.yaml)")
    if refused.kind is not None:
        return UsageError(f"cannot read {shown}: it is {refused.kind}, not a script file", hint=_HINT)
    if refused.too_large:
        size = (f"{refused.size_bytes / MAX_SCRIPT_BYTES:.1f} MiB" if refused.size_bytes is not None
                else "more than 1 MiB")
        return UsageError(f"cannot read {shown}: it is {size}, and a script may be at most 1 MiB", hint=_HINT)
    return UsageError(f"cannot read {shown}: {refused.reason}", hint="check the path, and that the file is readable")
