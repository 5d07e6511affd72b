"""The grading engine.

The pipeline, one module per stage:

    submission.py   read a .py or .ipynb file into code cells (never executes it)
    sandbox.py      run those cells and the task calls in a child process, with limits
    child/          the only code that runs next to student code (stdlib + NumPy)
    spec.py         how a task is declared: points, cases, checks, misconceptions
    exercises/      the declarations, one module per exercise
    checks.py       compare what came back with the reference, in the parent
    grading.py      glue: cases -> sandbox -> verdicts -> scores
    report.py       text, JSON and Gradescope renderings of a result
"""
