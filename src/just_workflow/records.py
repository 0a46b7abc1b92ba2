"""Frozen records built as fast as plain objects: the snapshot, the event and the command of every fire.

attrs freezes a class by giving it a ``__setattr__`` that refuses every
write, so a frozen class's ``__init__`` has to set each field through
``object.__setattr__``: a call per field, most of the cost of building a
record, and a step builds two. A dict-backed class written into through its
``__dict__`` builds faster, but then reads its fields at half the speed and
leaves the garbage collector two objects to track instead of one.

So :class:`~just_workflow.instance.Instance`,
:class:`~just_workflow.events.Event` and
:class:`~just_workflow.instance.Command` are slotted frozen attrs classes
whose ``__new__`` (written by :func:`constructor` from their fields, as
attrs writes its own methods) builds the object as an instance of their
:func:`unfrozen` twin, a plain class with the same slots whose writes are
plain attribute writes, then gives it its own class. The twin is made by calling it
(``twin()``), which costs less than ``object.__new__(twin)``:
that call packs its argument in a tuple. Python allows that change of class
between two classes that lay out the same slots; attrs' ``__weakref__`` slot
is turned off (``weakref_slot=False``) because it makes the layouts differ.
The object that comes out is the frozen class's in every way: its
``__setattr__`` refuses, ``attrs.evolve`` and ``attrs.fields`` work, and it
pickles and copies through :func:`reduced`. :func:`record` makes such a class.

The engine hands out copies of the records its store keeps (see
:func:`~just_workflow.instance.detached`); :func:`copier` makes the
function that copies one, written out for the class's fields as attrs
writes its own methods: the copy is built through the twin like any record,
each field read from its slot, with no tuple of values and no call in between.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

__all__ = ["constructor", "copier", "record", "reduced", "unfrozen"]


@functools.cache
def unfrozen(record: type) -> type:
    """A plain class with the slots of the slotted attrs class ``record``, written to before becoming one.

    One per class (cached): its constructor and its copier build on the same twin.
    """
    slots = tuple(field.name for field in attrs.fields(record))
    if getattr(record, "__slots__", None) != slots:
        raise TypeError(f"{record.__name__} must be slotted, without a weakref slot, to build through a twin")
    return type(f"_Unfrozen{record.__name__}", (), {"__slots__": slots})


def _compiled(record: type, what: str, lines: list[str], scope: dict[str, Any]) -> Callable[..., Any]:
    """The function ``lines`` define, with ``scope`` (the twin given as ``twin``) as its globals.

    Compiled from its source, a line per field, as attrs writes the methods
    it makes: a loop over the field names would cost a call per field.
    """
    scope["twin"] = unfrozen(record)
    exec(compile("\n".join(lines), f"<{what} of {record.__name__}>", "exec"), scope)
    made: Callable[..., Any] = scope[what]
    return made


def constructor(record: type) -> Callable[..., Any]:
    """A ``__new__`` for the slotted attrs class ``record``: its fields as parameters, set on a twin, in order.

    A field's default is the parameter's; a factory's field defaults to
    ``attrs.NOTHING``, which calls the factory. Validators and converters
    are not run, so a class with any is refused.
    """
    scope: dict[str, Any] = {"NOTHING": attrs.NOTHING}
    parameters, body = ["cls"], ["    self = twin()"]
    for field in attrs.fields(record):
        name, default = field.name, field.default
        if field.validator is not None or field.converter is not None:
            raise TypeError(
                f"{record.__name__}.{name}: a record's constructor runs no validator or converter"
            )
        value = name
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            if default.takes_self:
                raise TypeError(f"{record.__name__}.{name}: a record's factory cannot take self")
            scope[f"factory_{name}"] = default.factory
            parameters.append(f"{name}=NOTHING")
            value = f"factory_{name}() if {name} is NOTHING else {name}"
        elif default is not attrs.NOTHING:
            scope[f"default_{name}"] = default
            parameters.append(f"{name}=default_{name}")
        else:
            parameters.append(name)
        body.append(f"    self.{name} = {value}")
    lines = [f"def __new__({', '.join(parameters)}):", *body, "    self.__class__ = cls", "    return self"]
    return _compiled(record, "__new__", lines, scope)


def copier(record: type) -> Callable[[Any], Any]:
    """A function returning a new object of the slotted attrs class ``record`` with the fields of the one given.

    The copy is built through the :func:`unfrozen` twin, as the class's own
    objects are, each field read from its slot: no tuple of values and no
    call in between.
    """
    lines = [
        "def copy(original):",
        "    self = twin()",
        *(f"    self.{field.name} = original.{field.name}" for field in attrs.fields(record)),
        "    self.__class__ = record",
        "    return self",
    ]
    return _compiled(record, "copy", lines, {"record": record})


def reduced(record: type) -> Callable[[Any], tuple[type, tuple[Any, ...]]]:
    """A ``__reduce__`` for ``record``: the class and its field values, so pickle and copy rebuild it by its constructor.

    The class's ``__new__`` takes the fields, so the default reduction
    (``__new__`` without arguments, then the state) would not do.
    """
    values = operator.attrgetter(*(field.name for field in attrs.fields(record)))  # in order, in one C call

    def __reduce__(self: Any) -> tuple[type, tuple[Any, ...]]:
        return type(self), values(self)

    return __reduce__


if TYPE_CHECKING:
    # Type checkers see attrs' own frozen class, whose __init__ takes the fields: the signature the record's
    # __new__ has, which they would otherwise not know (attrs.evolve is checked against it).
    from attrs import frozen as record
else:

    def record(cls: type) -> type:
        """``cls`` as a slotted frozen attrs class without an ``__init__`` or a weakref slot, pickled through :func:`reduced`."""
        made = attrs.frozen(cls, init=False, weakref_slot=False)
        made.__new__ = staticmethod(constructor(made))
        made.__reduce__ = reduced(made)
        return made
