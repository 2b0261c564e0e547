"""Mutation fuzzing of bnncc: mutate real and generated BNNs, compile, build, run, compare, classify.

`campaign.py` is the driver (`python tests/fuzz/campaign.py --help`); `make fuzz` runs it at length
and `test_fuzz.py` runs a small campaign as part of `make test`.
"""
