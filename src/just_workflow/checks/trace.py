"""Traces: a run of one protocol instance as numbered lines, the form every counterexample takes.

::

    0. anna (sme) starts : draft
    1. anna (sme) contact_career_services {"purpose": "text"} : draft -> contacted
    2. carla (career_services) route_request {"departments": ["item"]} : contacted -> defining
    3. carla (department) draft_agreement {} : defining, refused: Cannot fire 'draft_agreement': ...

Each line says who acted (actor and role), the trigger, the payload, and the
state before and after; a refused attempt says why it was refused.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import attrs

from just_workflow.events import Actor


def show_payload(payload: Mapping[str, Any]) -> str:
    """A payload as compact JSON with sorted keys: ``{"departments": ["hr"]}``."""
    return json.dumps(dict(payload), sort_keys=True, ensure_ascii=False)


def signature_note(signers: Sequence[str], signed: Collection[str] | None) -> str:
    """The note of a signature: the roles the sign-off still waits for, or that it completed (``signed`` None)."""
    if signed is None:
        return "signed; sign-off complete"
    waiting = [role for role in signers if role not in signed]
    return f"signed; waiting for {', '.join(waiting) or 'nobody'}"


@attrs.frozen
class TraceStep:
    """One attempt: ``actor`` fired ``trigger`` with ``payload`` in ``source`` and the instance went to ``target``.

    ``refused`` holds the refusal message when the engine refused the attempt
    (the instance stayed in ``source``; ``target`` is where it would have
    gone, or ``source``); ``note`` adds what else happened, such as a
    signature that leaves a sign-off waiting.
    """

    actor: Actor
    trigger: str
    payload: Mapping[str, Any]
    source: str
    target: str
    refused: str | None = None
    note: str = ""

    def line(self, number: int) -> str:
        """The numbered line of this step."""
        head = f"{number}. {self.actor.id} ({self.actor.role}) {self.trigger} {show_payload(self.payload)} : "
        moved = self.source if self.target == self.source else f"{self.source} -> {self.target}"
        if self.refused is not None:
            return f"{head}{moved}, refused: {self.refused}"
        note = f"  ({self.note})" if self.note else ""
        return f"{head}{self.source} -> {self.target}{note}"


@attrs.frozen
class Trace:
    """A run from the start of an instance: who started it in which state, then each step in order."""

    starter: Actor
    initial: str
    steps: tuple[TraceStep, ...] = ()

    def then(self, step: TraceStep) -> Trace:
        """This trace with ``step`` added at the end."""
        return attrs.evolve(self, steps=(*self.steps, step))

    @property
    def state(self) -> str:
        """The state the instance is in after the last step."""
        return self.steps[-1].target if self.steps else self.initial

    def triggers(self) -> tuple[str, ...]:
        """The triggers of the steps, in order."""
        return tuple(step.trigger for step in self.steps)

    def format(self, indent: str = "  ") -> str:
        """The numbered lines of the trace, each prefixed with ``indent``."""
        lines = [f"0. {self.starter.id} ({self.starter.role}) starts : {self.initial}"]
        lines.extend(step.line(number) for number, step in enumerate(self.steps, 1))
        return "\n".join(indent + line for line in lines)

    def __str__(self) -> str:
        return self.format()
