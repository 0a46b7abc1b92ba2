"""The versions of definitions a store keeps, keyed by protocol and version."""

from __future__ import annotations

from just_workflow.definition import Definition
from just_workflow.errors import DefinitionError, Problem


class DefinitionRegistry:
    """Definition versions by ``(protocol, version)``; a changed definition under a kept version is refused."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, int], Definition] = {}

    def add(self, definition: Definition) -> bool:
        """Keep ``definition``; False when that exact version is already kept."""
        kept = self._by_key.get(definition.key)
        if kept is None:
            self._by_key[definition.key] = definition
            return True
        if kept.digest != definition.digest:
            raise changed_definition(definition, kept.digest)
        return False

    def all(self) -> list[Definition]:
        """Every kept definition, by protocol then version."""
        return [self._by_key[key] for key in sorted(self._by_key)]


def changed_definition(definition: Definition, kept_digest: str) -> DefinitionError:
    """The refusal of a definition whose content changed under an existing version number."""
    return DefinitionError(
        [
            Problem(
                f"protocol {definition.protocol!r} version {definition.version} is already stored with digest "
                f"{kept_digest[:12]}…, and this definition has digest {definition.digest[:12]}…: "
                "a changed definition needs a new version number",
                path="$.version",
                file=definition.origin,
            )
        ]
    )
