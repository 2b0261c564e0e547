"""The portable target: C99 and nothing else, the reference every other C target is checked against."""
from .target import Target

GENERIC = Target("generic-c", "portable C99, no ISA extensions (the reference for every other target)", ("-O2",))
TARGETS = (GENERIC,)
