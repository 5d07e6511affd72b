"""Build a Gradescope autograder zip for one exercise.

Gradescope unpacks the zip into /autograder/source, runs setup.sh once when
the image is built, and run_autograder for each submission, which must write
/autograder/results/results.json. The zip carries the instructor's grader
(reference and hidden cases included: Gradescope never shows it to students).
"""
from __future__ import annotations

import os
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("autograder", "reference", "coursedata")

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once while building the autograder image.
set -euo pipefail
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap python3-pip >/dev/null || true
cd /autograder/source
python3 -m pip install -q numpy click nbformat pyseccomp {tensorflow}
# the jail user for student code; the grader's own files (reference, hidden cases, results) private to root
if python3 cli.py jail --help >/dev/null 2>&1; then
    python3 cli.py jail setup --private /autograder/results
else
    echo "setup.sh: this grader has no 'jail setup' command; run_autograder will refuse to grade" >&2
fi
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission; AUTOGRADER_ROOT lets it be tried outside Gradescope.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
mkdir -p "$ROOT/results"
SUBMISSION=""
for candidate in "$ROOT/submission/{key}.ipynb" "$ROOT/submission/{key}.py"; do
    [ -f "$candidate" ] && SUBMISSION="$candidate" && break
done
if [ -z "$SUBMISSION" ]; then
    SUBMISSION=$(find "$ROOT/submission" -maxdepth 2 \\( -name '*.ipynb' -o -name '*.py' \\) | sort | head -n 1)
fi
if [ -z "$SUBMISSION" ]; then
    echo '{{"score": 0, "output": "No notebook or .py file was submitted: upload {key}.ipynb.", "tests": []}}' \\
        > "$ROOT/results/results.json"
    exit 0
fi
# Never unisolated: the grader's health check picks bubblewrap where namespaces work, else (Gradescope's
# containers) the uid+seccomp jail set up by setup.sh; if neither works it exits 3 and writes no score.
ISOLATION=""
cd "$(dirname "$0")"
[ -f cli.py ] || cd "$ROOT/source"
python3 cli.py grade {key} "$SUBMISSION" --format gradescope $ISOLATION > "$ROOT/results/results.json.tmp" \\
    2> "$ROOT/results/stderr.txt"
STATUS=$?
if [ "$STATUS" -eq 0 ]; then
    mv "$ROOT/results/results.json.tmp" "$ROOT/results/results.json"
elif [ "$STATUS" -eq 3 ] || [ "$STATUS" -eq 4 ]; then
    # no jail works here (3) or the grader failed (4): not the submission's doing, so no score at all;
    # Gradescope shows an autograder failure to staff, who can re-run it
    cat "$ROOT/results/stderr.txt" >&2
    rm -f "$ROOT/results/results.json.tmp" "$ROOT/results/results.json"
    exit "$STATUS"
else
    MESSAGE=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()[-2000:]))' "$ROOT/results/stderr.txt")
    echo "{{\\"score\\": 0, \\"output\\": $MESSAGE, \\"tests\\": []}}" > "$ROOT/results/results.json"
fi
"""


def build_zip(key: str, out: str, uses_keras: bool) -> str:
    """Write the autograder zip for exercise ``key`` to ``out``; returns ``out``."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_text(archive, "setup.sh", SETUP_SH.format(tensorflow="tensorflow" if uses_keras else ""))
        _add_text(archive, "run_autograder", RUN_AUTOGRADER.format(key=key))
        archive.write(os.path.join(REPO, "cli.py"), "cli.py")
        for package in PACKAGES:
            for root, dirs, files in os.walk(os.path.join(REPO, package)):
                dirs[:] = [d for d in dirs if d not in ("__pycache__", "public")]
                for name in files:
                    if not name.endswith(".pyc"):
                        path = os.path.join(root, name)
                        archive.write(path, os.path.relpath(path, REPO))
    return out


def _add_text(archive, name, text):
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o755 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)
