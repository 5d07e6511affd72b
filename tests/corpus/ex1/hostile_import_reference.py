# expect: to_unit_range=zero conv2d_single=zero conv2d=zero
# Tries to borrow the instructor's solutions, by import and by path.
import glob
import importlib
import sys

for path in ["/work/main", "../..", "../../..", "/"] + glob.glob("/work/*") + glob.glob("/tmp/*"):
    sys.path.append(path)

try:
    from reference.convolution import conv2d, conv2d_single, to_unit_range  # noqa: F401
except ImportError:
    pass

try:
    import autograder.exercises.ex1 as spec  # noqa: F401
    to_unit_range = spec.EXERCISE.tasks[0].reference
except ImportError:
    pass
