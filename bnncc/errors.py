"""The one exception type bnncc raises for bad or unsupported input."""


class BnnccError(Exception):
    """A model or request bnncc cannot handle; the message names the node and the reason."""

    def __init__(self, message: str, node: str | None = None):
        self.node = node
        super().__init__(f"node {node}: {message}" if node else message)
