"""Issue 13's rough edges: each one as a user meets it."""
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_importing_keras_for_judging_never_hides_stderr():
    """While Keras imports in the background (as during grading), a traceback on stderr must survive."""
    script = textwrap.dedent("""
        import os, sys, threading, time
        sys.path.insert(0, %r)
        from autograder import grading
        worker = threading.Thread(target=grading._import_keras)
        worker.start()
        for k in range(40):
            os.write(2, b"MARK%%d\\n" %% k)
            time.sleep(0.05)
        worker.join()
    """ % str(REPO))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert all("MARK%d\n" % k in result.stderr for k in range(40)), result.stderr[-2000:]
