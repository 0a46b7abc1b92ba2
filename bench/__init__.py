"""Benchmarks: each module measures one side of just_workflow against its peers, in the same process run.

``python -m bench`` runs them all (``--quick`` for a short run); ``python -m
bench.engine`` (or ``bench.startup``, ``bench.persistence``, ``bench.replay``)
runs one. They print tables of rates and ratios; they are measurements, not
timed tests.
"""
