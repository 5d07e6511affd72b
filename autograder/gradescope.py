"""Build a Gradescope autograder zip for one exercise.

Gradescope unpacks the zip into /autograder/source, runs setup.sh once when
the image is built (as root), and run_autograder for each submission, which
must write /autograder/results/results.json. The zip carries the instructor's
grader (reference and hidden cases included: Gradescope never shows it to
students) and ``requirements.txt``: exactly the packages this exercise needs,
pinned to the versions of the machine that built the zip.

setup.sh installs them in a virtual environment (``$AUTOGRADER_ROOT/venv``,
so that Ubuntu 24.04's externally-managed system Python is left alone) and
runs ``cli.py jail setup`` where this grader has it. run_autograder grades with
the hidden cases and never passes ``--allow-unisolated``: ``grade`` picks the
strongest isolation that works, or refuses. Whatever fails, results.json says
what went wrong, and the grader's stderr is shown in Gradescope's log as well.
``AUTOGRADER_ROOT`` (default /autograder) lets both scripts be tried outside
Gradescope; ``AUTOGRADER_SKIP_APT=1`` skips apt-get and ``AUTOGRADER_SKIP_JAIL_SETUP=1``
the jail's set-up (tests on a shared machine).
"""
from __future__ import annotations

import os
import zipfile
from importlib import metadata

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("autograder", "reference", "coursedata")
# numpy and click: the grader; pyseccomp: the jail's seccomp filter; ipython: the child reads magics with
# IPython's own input transformer; matplotlib: students' notebooks plot (the child draws with Agg)
NUMPY_REQUIREMENTS = ("numpy", "click", "pyseccomp", "ipython", "matplotlib")
KERAS_REQUIREMENTS = NUMPY_REQUIREMENTS + ("tensorflow", "keras", "scikit-learn", "h5py")

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, while building the autograder image (Ubuntu 22.04 or 24.04).
set -euo pipefail
cd "$(dirname "$0")"
ROOT="${AUTOGRADER_ROOT:-/autograder}"
if [ "${AUTOGRADER_SKIP_APT:-0}" != 1 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq python3 python3-venv python3-pip bubblewrap >/dev/null
fi
# A virtual environment: Ubuntu 24.04's system Python refuses pip installs (PEP 668).
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --quiet -r requirements.txt
"$ROOT/venv/bin/python" cli.py list >/dev/null    # the grader imports: fail here, not per submission
if [ "${AUTOGRADER_SKIP_JAIL_SETUP:-0}" = 1 ]; then
    echo "setup.sh: jail set-up skipped (AUTOGRADER_SKIP_JAIL_SETUP=1)"
elif "$ROOT/venv/bin/python" cli.py jail --help >/dev/null 2>&1; then
    # the unprivileged user student code runs as; the grader's files and the results private to root
    mkdir -p "$ROOT/results"
    "$ROOT/venv/bin/python" cli.py jail setup --private "$ROOT/results"
else
    echo "setup.sh: this grader has no 'cli.py jail setup'; grading will use bubblewrap where the" \
         "container allows it, and otherwise report that it cannot isolate student code" >&2
fi
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission; AUTOGRADER_ROOT lets it be tried outside Gradescope.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
RESULTS="$ROOT/results"
mkdir -p "$RESULTS"
SOURCE="$(cd "$(dirname "$0")" && pwd)"
[ -f "$SOURCE/cli.py" ] || SOURCE="$ROOT/source"
PYTHON="$ROOT/venv/bin/python"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3)"

fail() {   # fail MESSAGE: a results.json that says what went wrong (no score: not the student's fault)
    "$PYTHON" - "$1" "$RESULTS/stderr.txt" > "$RESULTS/results.json" <<'PY' || printf '{"output": "The autograder failed; see its log."}\n' > "$RESULTS/results.json"
import json, os, sys
message, log = sys.argv[1], sys.argv[2]
tail = open(log, errors="replace").read()[-3000:] if os.path.exists(log) else ""
print(json.dumps({"output": message + ("\n\nThe grader's error output:\n" + tail if tail.strip() else ""),
                  "tests": [], "extra_data": {"grader_error": True}}))
PY
}

SUBMISSION=""
for candidate in "$ROOT/submission/{key}.ipynb" "$ROOT/submission/{key}.py"; do
    [ -f "$candidate" ] && SUBMISSION="$candidate" && break
done
if [ -z "$SUBMISSION" ]; then
    SUBMISSION=$(find "$ROOT/submission" -maxdepth 2 \( -name '*.ipynb' -o -name '*.py' \) 2>/dev/null | sort | head -n 1)
fi
if [ -z "$SUBMISSION" ]; then
    echo '{"score": 0, "output": "No notebook or .py file was submitted: upload {key}.ipynb.", "tests": []}' \
        > "$RESULTS/results.json"
    exit 0
fi
cd "$SOURCE"
# stdout is the results; stderr goes to Gradescope's log and to a file quoted if grading fails.
"$PYTHON" cli.py grade {key} "$SUBMISSION" --format gradescope > "$RESULTS/results.json.tmp" \
    2> >(tee "$RESULTS/stderr.txt" >&2)
STATUS=$?
wait
if [ "$STATUS" = 2 ]; then
    # a usage error: the submission cannot be read (no jail working is exit 3, a grader error 4: below)
    MESSAGE=$(tail -n 5 "$RESULTS/stderr.txt" | grep -v '^Usage:\|^Try ' | sed 's/^Error: //')
    if grep -q "cannot read the submission" "$RESULTS/stderr.txt"; then
        "$PYTHON" -c 'import json, sys; print(json.dumps({"score": 0, "output": sys.argv[1], "tests": []}))' \
            "Your submission could not be read: $MESSAGE" > "$RESULTS/results.json"
        exit 0
    fi
    fail "The autograder could not grade this submission (this is not your score; the course staff has been told): $MESSAGE"
    exit 1
elif [ "$STATUS" != 0 ] || ! "$PYTHON" -c 'import json, sys; json.load(open(sys.argv[1]))' "$RESULTS/results.json.tmp" 2>/dev/null; then
    fail "The autograder failed (exit code $STATUS) while grading $(basename "$SUBMISSION"); this is not your score."
    exit 1
fi
mv "$RESULTS/results.json.tmp" "$RESULTS/results.json"
"""


def requirements(uses_keras: bool) -> str:
    """requirements.txt: the packages the exercise needs, pinned to the versions installed here."""
    lines = []
    for name in KERAS_REQUIREMENTS if uses_keras else NUMPY_REQUIREMENTS:
        try:
            lines.append("%s==%s" % (name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            raise RuntimeError("%s is not installed here, so its version cannot be pinned; install the "
                               "project first (pip install -e .)" % name) from None
    return "\n".join(lines) + "\n"


def build_zip(key: str, out: str, uses_keras: bool) -> str:
    """Write the autograder zip for exercise ``key`` to ``out``; returns ``out``."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_text(archive, "setup.sh", SETUP_SH)
        _add_text(archive, "run_autograder", RUN_AUTOGRADER.replace("{key}", key))
        _add_text(archive, "requirements.txt", requirements(uses_keras), executable=False)
        archive.write(os.path.join(REPO, "cli.py"), "cli.py")
        for package in PACKAGES:
            for root, dirs, files in os.walk(os.path.join(REPO, package)):
                dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "public"))
                for name in sorted(files):
                    if not name.endswith(".pyc"):
                        path = os.path.join(root, name)
                        archive.write(path, os.path.relpath(path, REPO))
    return out


def _add_text(archive, name, text, executable=True):
    info = zipfile.ZipInfo(name)
    info.external_attr = (0o755 if executable else 0o644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)
