"""The test kit: property-test a protocol definition and read its counterexamples.

::

    from just_workflow.formats.loading import load_definition
    from just_workflow.testing import protocol_test

    TestMyProtocol = protocol_test(load_definition("definitions/my_protocol.yaml"))

- :mod:`~just_workflow.testing.strategies`: Hypothesis strategies for field
  values, payloads, commands, walks through a definition, and random valid
  definitions;
- :mod:`~just_workflow.testing.stateful`: the property test, a sweep through
  every abstract state then a ``RuleBasedStateMachine`` per definition
  (:func:`protocol_test`, :func:`protocol_machine`);
- :mod:`~just_workflow.testing.harness`: the checks after every step, the
  sweep, and :class:`ProtocolViolation`;
- :mod:`~just_workflow.checks.trace`: traces, the numbered form of every
  counterexample;
- :mod:`~just_workflow.checks.abstraction`: the representative values the model
  checker (:func:`just_workflow.model_check`) and the property test share;
- :mod:`~just_workflow.testing.store_contract`: the contract tests of a
  store, to run on one's own store by subclassing ``StoreContract``. It
  imports pytest, so this package does not import it.
"""

from just_workflow.checks.abstraction import representatives
from just_workflow.checks.trace import Trace, TraceStep
from just_workflow.testing.harness import (
    ProtocolViolation,
    TickingClock,
    every_role_open,
    invite_everyone,
    sweep,
)
from just_workflow.testing.stateful import ProtocolMachine, protocol_machine, protocol_test, run_protocol_test
from just_workflow.testing.strategies import (
    Walk,
    broken_values,
    commands,
    definitions,
    field_values,
    payloads,
    walks,
)

__all__ = [
    "ProtocolMachine",
    "ProtocolViolation",
    "TickingClock",
    "Trace",
    "TraceStep",
    "Walk",
    "broken_values",
    "commands",
    "definitions",
    "every_role_open",
    "field_values",
    "invite_everyone",
    "payloads",
    "protocol_machine",
    "protocol_test",
    "representatives",
    "run_protocol_test",
    "sweep",
    "walks",
]
