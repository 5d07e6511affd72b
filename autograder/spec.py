"""How exercises and tasks are declared. Each fact is written once, here or in
``exercises/exN.py``; the CLI, the reports and the notebooks read it from there.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class Case:
    """One call of a task's function and what is expected of it.

    label: the kind of input, in words ("3-channel 5x4 input, 2x3 kernel").
        It is shown for hidden cases too, so it must never contain values.
    expect: "value" (compare with the reference) or "raises" (ValueError).
    reason: for "raises", what is wrong with the arguments.
    precomputed: in the student kit, which has no reference, the expected value
        ("expected") and each misconception's wrong answer (by key), computed
        when the kit was built.
    """

    label: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    expect: str = "value"
    reason: str = ""
    hidden: bool = False
    precomputed: dict | None = None


@dataclass(frozen=True)
class Misconception:
    """A known wrong answer, used to tell a student which mistake they made.

    variant: a function with the task's signature that computes the wrong
    answer; a result equal to it (and not to the reference) is diagnosed.
    Keras tasks diagnose in their comparator instead and leave it None.
    """

    key: str
    title: str
    explanation: str
    variant: Callable | None = None


@dataclass(frozen=True)
class Task:
    """A function students implement, with its cases and checks.

    compare(result, expected) -> Verdict judges one value (see checks.py).
    hidden(rng) -> list[Case] makes the hidden cases from a numpy Generator.
    """

    name: str
    points: int
    reference: Callable
    compare: Callable
    public: tuple[Case, ...]
    hidden: Callable[[np.random.Generator], list[Case]]
    misconceptions: tuple[Misconception, ...] = ()
    look_at: str = ""
    timeout: float | None = None
    probe: str = ""   # Keras tasks: the child-side probe in child/probes.py that calls the function
    explain_error: Callable[[dict], Misconception | None] | None = None  # diagnose a raised error


    def hidden_cases(self, rng: np.random.Generator) -> list[Case]:
        return [replace(case, hidden=True) for case in self.hidden(rng)]


@dataclass(frozen=True)
class Exercise:
    key: str                  # "ex3"
    topic: str                # "pooling": also accepted on the command line
    title: str
    tasks: tuple[Task, ...]
    uses_keras: bool = False
    preload: tuple[str, ...] = ()   # libraries the child imports once, before the tasks

    @property
    def max_score(self) -> int:
        return sum(task.points for task in self.tasks)

    def task(self, name: str) -> Task:
        for task in self.tasks:
            if task.name == name:
                return task
        raise KeyError(name)


@dataclass
class Verdict:
    """The judgement of one value: passed, and if not, what was wrong.

    message: what came back versus what was expected, safe to show for hidden
    cases (no expected values). detail: more, with values; public cases only.
    """

    passed: bool
    message: str = ""
    detail: str = ""
    misconception: Misconception | None = None
    extra: dict[str, Any] = field(default_factory=dict)
