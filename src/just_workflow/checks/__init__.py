"""Proving definitions before they run: static checks and the model checker.

- :mod:`~just_workflow.checks.findings`: findings, their codes and the phrasing of their messages;
- :mod:`~just_workflow.checks.validation`: :func:`check` and the structural checks;
- :mod:`~just_workflow.checks.graph`: the state graph and data flow the analyses rest on;
- :mod:`~just_workflow.checks.analysis`: the analyses of a sound definition;
- :mod:`~just_workflow.checks.abstraction`: representative values, the finite view of a context;
- :mod:`~just_workflow.checks.trace`: traces, the numbered form of every counterexample;
- :mod:`~just_workflow.checks.modelcheck`: every reachable abstract state, explored breadth first.
"""

#: How many abstract states the model checker visits at most, unless told otherwise. Kept here, apart from
#: the checker, so that what only shows it (the pytest plugin's options) imports nothing.
DEFAULT_MAX_STATES = 200_000
