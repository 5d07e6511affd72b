"""ex8: a toy exercise, declared as docs/authoring.md says."""
import numpy as np

from reference import toy as ref

from .. import checks
from ..spec import Case, Exercise, Misconception, Task

EXERCISE = Exercise(
    key="ex8", topic="toy", title="A toy exercise",
    tasks=(
        Task("double", 10, ref.double, checks.array,
             public=(Case("a 2x2 array of ones", (np.ones((2, 2)),)),
                     Case("a 3-vector with a zero", (np.array([3.0, 0.0, -1.5]),))),
             hidden=lambda rng: [Case("a random 3x4 array", (rng.normal(size=(3, 4)),))],
             misconceptions=(Misconception("squared", "the input was squared, not doubled",
                                           "Doubling multiplies by 2.", ref.squared_by_mistake),),
             look_at="notebook ex8, section 'Doubling'"),
    ),
)
