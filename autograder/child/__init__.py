"""Code that runs in the child process beside student code: standard library and NumPy only."""
