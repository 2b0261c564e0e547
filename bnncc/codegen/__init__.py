"""C code generation: the final graph -> a self-contained C artifact (see artifact.py)."""
