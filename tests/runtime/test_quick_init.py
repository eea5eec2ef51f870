"""Run events built by the faster ``__init__`` are the same as a frozen dataclass builds."""

from __future__ import annotations

import dataclasses
import inspect
import time
from typing import Any

import pytest

from branchscope.runtime import events
from branchscope.runtime._quick_init import quick_init

EVENT_CLASSES = [
    cls
    for cls in (getattr(events, name) for name in events.__all__)
    if isinstance(cls, type) and dataclasses.is_dataclass(cls)
]


def _reference(cls: type) -> type:
    """The same fields as a frozen dataclass with dataclasses' own ``__init__``."""
    specs: list[tuple[str, Any, Any]] = []
    for item in dataclasses.fields(cls):
        spec = dataclasses.field(default=item.default, default_factory=item.default_factory)
        specs.append((item.name, item.type, spec))
    return dataclasses.make_dataclass("Reference", specs, frozen=True, slots=True)


def _values(instance: object) -> dict[str, object]:
    return {f.name: getattr(instance, f.name) for f in dataclasses.fields(instance)}  # type: ignore[arg-type]


def test_every_event_class_uses_it() -> None:
    assert len(EVENT_CLASSES) >= 18
    for cls in EVENT_CLASSES:
        assert cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__"
        assert cls.__init__.__module__ == events.__name__


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__name__)
def test_same_parameters_defaults_and_values_as_the_dataclass_init(cls: type) -> None:
    reference = _reference(cls)
    ours = inspect.signature(cls).parameters
    theirs = inspect.signature(reference).parameters
    assert list(ours) == list(theirs)
    for name, parameter in ours.items():
        assert parameter.kind == theirs[name].kind
        factory = next(f for f in dataclasses.fields(cls) if f.name == name).default_factory
        if factory is dataclasses.MISSING:
            assert parameter.default == theirs[name].default
        else:
            assert repr(parameter.default) == repr(theirs[name].default) == "<factory>"

    fields = dataclasses.fields(cls)
    given = {f.name: f"value of {f.name}" for f in fields}
    assert _values(cls(*given.values())) == given == _values(reference(*given.values()))
    assert _values(cls(**given)) == given

    required = {
        f.name: f"value of {f.name}"
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    before = time.time_ns()
    made, expected = _values(cls(**required)), _values(reference(**required))
    for item in fields:
        if item.default_factory is not dataclasses.MISSING and item.name == "time_ns":
            assert before <= made["time_ns"] <= time.time_ns()  # type: ignore[operator]
            made.pop("time_ns"), expected.pop("time_ns")
    assert made == expected


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__name__)
def test_events_stay_frozen_hashable_and_comparable(cls: type) -> None:
    given = {f.name: f"value of {f.name}" for f in dataclasses.fields(cls)}
    event = cls(**given)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(event, next(iter(given)), "changed")
    assert event == cls(**given) and hash(event) == hash(cls(**given))
    assert event != cls(**{**given, next(iter(given)): "other"})
    with pytest.raises(TypeError):
        cls(*given.values(), "one too many")


def test_refuses_what_it_would_get_wrong() -> None:
    @dataclasses.dataclass(slots=True)
    class Mutable:
        x: int

    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        x: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class PostInit:
        x: int

        def __post_init__(self) -> None:
            pass

    for cls in (Mutable, NoSlots, PostInit):
        with pytest.raises(TypeError, match=cls.__name__):
            quick_init(cls)


def test_keyword_only_fields_stay_keyword_only() -> None:
    @quick_init
    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class Options:
        a: int
        b: list[int] = dataclasses.field(default_factory=list)

    assert Options(a=1) == Options(a=1, b=[])
    with pytest.raises(TypeError):
        Options(1)  # type: ignore[misc]
