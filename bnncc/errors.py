"""The one exception type bnncc raises for bad or unsupported input."""
from __future__ import annotations

MAX_NAME_CHARS = 80


def printable(text) -> str:
    """Model text made safe for a one-line message: control characters, line breaks and other
    non-printable characters escaped (as repr does), bytes that are not UTF-8 shown as \\xNN,
    and long names cut to MAX_NAME_CHARS characters."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="backslashreplace")
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return text if len(text) <= MAX_NAME_CHARS else text[:MAX_NAME_CHARS - 3] + "..."


class BnnccError(Exception):
    """A model or request bnncc cannot handle; the message names the node and the reason.

    The message is always one line (model names in it are escaped with `printable`); `detail`
    holds what does not fit on a line, such as a C compiler's output, for --debug and -v."""

    def __init__(self, message: str, node: str | None = None, detail: str | None = None):
        self.node = node
        self.detail = detail
        text = f"node {printable(node)}: {message}" if node else str(message)
        super().__init__(" ".join(text.split("\n")).replace("\r", " "))
