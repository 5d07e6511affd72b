'''Content of notebook ex8, a toy exercise for tests/test_authoring.py.'''

EXERCISE = "ex8"
NUMPY_ONLY = True

DOUBLE = {
    "name": "double",
    "signature": "double(x)",
    "points": 10,
    "text": r"""## Doubling

### Task 1: `double(x)` (10 points)

Return twice `x`, an array of any shape.
""",
    "solution": r'''def double(x):
    """Twice the input, same shape."""
    ### BEGIN SOLUTION
    return 2 * np.asarray(x, dtype=float)
    ### END SOLUTION''',
    "tests": r'''assert np.allclose(double(np.ones(2)), [2, 2]), "double([1, 1]) should be [2, 2]"
print("double: visible tests passed")''',
    "correct": r'''return x + x''',
    "wrong": r'''return x * x''',
}

CELLS = [
    {"id": "intro", "markdown": "# Exercise 8: a toy\n\nDouble an array."},
    {"id": "imports", "code": "import numpy as np"},
    {"task": DOUBLE},
]
