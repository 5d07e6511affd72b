#!/usr/bin/env python3
"""Performance figures of the grader, each against a baseline measured in the same run.

    python benchmarks/run.py            # the full run (counts as in the issue "Fast enough to forget")
    python benchmarks/run.py --quick    # smaller counts, same figures
    python benchmarks/run.py --only 1,5 # some figures only (the nbgrader baseline comes with 3 and 4)

Figures (target in brackets):

1. ``cli.py check ex1`` on the correct sample vs ``python -c "import numpy"``          [<= 3x]
2. ``cli.py check ex5`` on a correct submission vs ``python -c "import tensorflow"``    [<= 2x]
3. ``cli.py grade --all`` of 200 notebooks each of ex1, ex2, ex3 (hidden cases, sandbox)
   vs ``nbgrader autograde`` of ten of the same notebooks, per notebook                 [>= 30x]
   and (if Otter-Grader is installed) ``otter run`` of the same notebooks on an equivalent
   Otter assignment (benchmarks/otter_baseline.py), per notebook                        [reported]
4. the same for 50 submissions each of ex5 and ex7 (70 % correct, 30 % wrong)
   vs ``nbgrader autograde`` of four of the same Keras notebooks, per notebook        [>= 5x]
   4b: the same with --no-memo (no answer judged once for many students)            [reported]
5. reference conv2d_strided and pool2d (64x64x16 input, 3x3 windows, 32 filters, strides 1, 2)
   vs tf.nn.conv2d / tf.nn.max_pool2d on the CPU                                       [<= 3x]
   and vs a plain Python loop                                                           [>= 100x faster]
   5b: the same with OPENBLAS_NUM_THREADS=1 (as in the sandboxed child), for comparison
6. peak memory of the batch runs of 3 and 4: the largest process (RUSAGE_CHILDREN) and the
   whole process tree (sampled from /proc), vs the interpreter with NumPy / TensorFlow  [reported]

It prints each figure as it is measured, then a table. The machine may be busy with other
work: times are medians, and the baselines run interleaved with what they are compared to.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(1, os.path.dirname(os.path.abspath(__file__)))   # otter_baseline
PY = sys.executable
QUIET_TF = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}

ROWS: list[tuple] = []   # (figure, value, baseline, ratio, target, met)


def say(text=""):
    print(text, flush=True)


def env(**extra):
    """The environment for commands: this interpreter's bin folder first on PATH, so nbgrader finds the
    `alembic` (and the `jupyter`) installed beside it even when no virtual environment is activated."""
    path = os.pathsep.join([os.path.dirname(PY), os.environ.get("PATH", "/usr/bin:/bin")])
    return dict(os.environ, **QUIET_TF, **dict(extra, PATH=extra.get("PATH", path)))


def run(command, *, cwd=REPO, timeout=3600, check=True, quiet=True):
    """Run a command; return wall seconds."""
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env(), timeout=timeout,
                            stdout=subprocess.PIPE if quiet else None, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if check and result.returncode not in (0, 1):   # check exits 1 when a public check fails
        raise RuntimeError("%s failed (%d):\n%s" % (" ".join(command), result.returncode, result.stderr[-3000:]))
    return seconds


def interleaved(a, b, repeats):
    """Median wall time of commands a and b, run alternately (after one warm-up each)."""
    run(a)
    run(b)
    times_a, times_b = [], []
    for _ in range(repeats):
        times_a.append(run(a))
        times_b.append(run(b))
    return statistics.median(times_a), statistics.median(times_b), times_a, times_b


def row(figure, value, baseline, ratio, target, met):
    ROWS.append((figure, value, baseline, ratio, target, met))
    say("  -> %s: %s vs %s, ratio %s (target %s) %s" % (figure, value, baseline, ratio, target,
                                                         "MET" if met else ("MISSED" if met is False else "")))


# ----------------------------------------------------------------------------
# 1, 2: check vs the import it cannot avoid

def figure_check(args):
    repeats = 3 if args.quick else 7
    say("[1] cli.py check ex1 vs python -c 'import numpy' (%d runs each, interleaved)" % repeats)
    check, numpy_, ct, nt = interleaved([PY, "cli.py", "check", "ex1", "exercises/ex1/samples/correct.ipynb"],
                                        [PY, "-c", "import numpy"], repeats)
    say("    check ex1: %s" % " ".join("%.2f" % t for t in ct))
    say("    import numpy: %s" % " ".join("%.2f" % t for t in nt))
    row("1 check ex1", "%.2f s" % check, "%.2f s (import numpy)" % numpy_, "%.1fx" % (check / numpy_), "<= 3x",
        check / numpy_ <= 3)


def figure_check_keras(args):
    sample = os.path.join("exercises", "ex5", "samples", "correct.ipynb")
    if not os.path.exists(os.path.join(REPO, sample)):
        sample = os.path.join("tests", "corpus", "ex5", "correct_listing.py")
        say("    (exercises/ex5/samples/correct.ipynb does not exist yet: using %s)" % sample)
    repeats = 1 if args.quick else 3
    say("[2] cli.py check ex5 %s vs python -c 'import tensorflow' (%d runs each, interleaved)" % (sample, repeats))
    check, tf_, ct, tt = interleaved([PY, "cli.py", "check", "ex5", sample], [PY, "-c", "import tensorflow"], repeats)
    say("    check ex5: %s" % " ".join("%.2f" % t for t in ct))
    say("    import tensorflow: %s" % " ".join("%.2f" % t for t in tt))
    row("2 check ex5", "%.2f s" % check, "%.2f s (import tensorflow)" % tf_, "%.1fx" % (check / tf_), "<= 2x",
        check / tf_ <= 2)


# ----------------------------------------------------------------------------
# submissions

def _notebook_variant(path, student, rng):
    """A sample notebook with small per-student changes: a comment, a renamed scratch variable, an extra cell."""
    import nbformat
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    code[0].source += "\n# %s, attempt %d" % (student, rng.randint(1, 9))
    for cell in code:
        if cell.get("id", "").endswith("_solution") and rng.random() < 0.5:
            cell.source = cell.source.rstrip("\n") + "\n    # checked by %s\n" % student
    if rng.random() < 0.3:
        extra = "scratch_%s = %d  # trying things" % (student, rng.randint(0, 99))
        notebook.cells.append(nbformat.v4.new_code_cell(extra))
        notebook.cells[-1].id = "extra-%s" % student
    return notebook


def make_numpy_submissions(folder, per_exercise, seed=1):
    """FOLDER/<student>/<exN>/<exN>.ipynb for ex1-ex3: 70 % correct, 30 % with the sample's typical mistake."""
    import nbformat
    rng = random.Random(seed)
    for k in range(per_exercise):
        student = "s%03d" % k
        for key in ("ex1", "ex2", "ex3"):
            kind = "correct" if rng.random() < 0.7 else "wrong"
            notebook = _notebook_variant(os.path.join(REPO, "exercises", key, "samples", kind + ".ipynb"), student, rng)
            target = os.path.join(folder, student, key)
            os.makedirs(target, exist_ok=True)
            nbformat.write(notebook, os.path.join(target, key + ".ipynb"))


def keras_source(key, kind="correct"):
    """A correct (or wrong) submission for a Keras exercise, and where it came from."""
    for candidate in (os.path.join("exercises", key, "samples", kind + ".ipynb"),
                      os.path.join("tests", "corpus", key, kind + "_listing.py")):
        if os.path.exists(os.path.join(REPO, candidate)):
            return candidate
    corpus = os.path.join(REPO, "tests", "corpus", key)
    files = sorted(f for f in os.listdir(corpus) if f.startswith(kind)) if os.path.isdir(corpus) else []
    return os.path.join("tests", "corpus", key, files[0]) if files else None


def make_keras_submissions(folder, keys, per_exercise, seed=2):
    """FOLDER/<student>/<exN>/ for each key: 70 % the correct sample, 30 % the wrong one (as for ex1-ex3)."""
    rng = random.Random(seed)
    for key in keys:
        for k in range(per_exercise):
            kind = "correct" if rng.random() < 0.7 or keras_source(key, "wrong") is None else "wrong"
            source = os.path.join(REPO, keras_source(key, kind))
            student = "k%03d" % k
            target = os.path.join(folder, student, key)
            os.makedirs(target, exist_ok=True)
            if source.endswith(".ipynb"):
                import nbformat
                nbformat.write(_notebook_variant(source, student, rng), os.path.join(target, key + ".ipynb"))
            else:
                with open(source, encoding="utf-8") as handle:
                    text = handle.read()
                with open(os.path.join(target, key + ".py"), "w", encoding="utf-8") as handle:
                    handle.write(text + "\n# %s, attempt %d\n" % (student, rng.randint(1, 9)))


def declared_exercises():
    """Exercise keys that `python cli.py list` shows."""
    result = subprocess.run([PY, "cli.py", "list"], cwd=REPO, env=env(), capture_output=True, text=True)
    return [line.split()[0] for line in result.stdout.splitlines() if line[:2] == "ex"]


# ----------------------------------------------------------------------------
# batch runs, with their memory

class TreeMemory:
    """Samples the total PSS of a process and its descendants (from /proc) while it runs."""

    def __init__(self, pid, interval=0.1):
        self.pid, self.interval, self.peak, self.peak_processes = pid, interval, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._page = os.sysconf("SC_PAGE_SIZE")

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _loop(self):
        while not self._stop.is_set():
            try:
                total, count = self._sample()
                if total > self.peak:
                    self.peak, self.peak_processes = total, count
            except Exception:  # noqa: BLE001 - a process vanished mid-sample
                pass
            self._stop.wait(self.interval)

    def _sample(self):
        parents = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open("/proc/%s/stat" % name) as handle:
                        stat = handle.read()
                    parents[int(name)] = int(stat[stat.rfind(")") + 2:].split()[1])
                except OSError:
                    pass
        tree, frontier = {self.pid}, [self.pid]
        children = {}
        for pid, ppid in parents.items():
            children.setdefault(ppid, []).append(pid)
        while frontier:
            for child in children.get(frontier.pop(), []):
                if child not in tree:
                    tree.add(child)
                    frontier.append(child)
        total = 0
        for pid in tree:
            total += self._pss(pid)
        return total, len(tree)

    def _pss(self, pid):
        """Proportional set size: pages shared by forked processes are counted once in all."""
        try:
            with open("/proc/%d/smaps_rollup" % pid) as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        try:
            with open("/proc/%d/statm" % pid) as handle:
                return int(handle.read().split()[1]) * self._page
        except OSError:
            return 0


MEASURE = r"""
import json, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "maxrss_kb": usage.ru_maxrss, "returncode": code.returncode,
                  "stderr": code.stderr[-3000:]}))
"""


def measured(command):
    """Run ``command`` under a small wrapper: wall time, max RSS of any process it waited for, peak tree PSS."""
    process = subprocess.Popen([PY, "-c", MEASURE, *command], cwd=REPO, env=env(), stdout=subprocess.PIPE,
                               text=True)
    with TreeMemory(process.pid) as memory:
        out, _ = process.communicate()
    result = json.loads(out)
    if result["returncode"] != 0:
        raise RuntimeError("%s failed:\n%s" % (" ".join(command), result["stderr"]))
    result["tree_peak_mb"] = memory.peak / 2 ** 20
    result["tree_processes"] = memory.peak_processes
    return result


def batch_grade(folder, count, label, jobs, extra=()):
    csv = os.path.join(folder, "..", "grades-%s.csv" % label.replace(" ", "-"))
    command = [PY, "cli.py", "grade", "--all", folder, "--csv", csv, "-j", str(jobs), *extra]
    say("    %s" % " ".join(command))
    result = measured(command)
    per = result["seconds"] / count
    say("    %d submissions in %.1f s: %.3f s each, %.1f submissions/s; largest process %.0f MB, "
        "process tree peak %.0f MB PSS (%d processes)" % (count, result["seconds"], per, 1 / per,
                                                         result["maxrss_kb"] / 1024, result["tree_peak_mb"],
                                                         result["tree_processes"]))
    with open(csv, encoding="utf-8") as handle:
        rows = handle.read().splitlines()[1:]
    errors = [r for r in rows if not r.endswith(",")]
    if len(rows) != count or errors:
        say("    WARNING: %d rows for %d submissions, %d with an error, e.g. %s" % (len(rows), count, len(errors),
                                                                                 errors[:1]))
    return per, result


def nbgrader_baseline(folder, work, count, keys=("ex1", "ex2", "ex3"), name="course"):
    """Per-notebook time of `nbgrader autograde` on ``count`` of the generated notebooks of ``keys`` (mixed)."""
    from autograder.course import prepare_course
    root = prepare_course(os.path.join(work, name), list(keys))
    for key in keys:
        subprocess.run([PY, "-m", "nbgrader", "generate_assignment", key, "--force"], cwd=root, env=env(),
                       check=True, capture_output=True)
    students = sorted(os.listdir(folder))
    count = min(count, len(keys) * len(students))
    picks = [(students[i % len(students)], keys[(i + i // len(students)) % len(keys)]) for i in range(count)]
    for student, key in picks:
        target = os.path.join(root, "submitted", student, key)
        os.makedirs(target, exist_ok=True)
        shutil.copyfile(os.path.join(folder, student, key, key + ".ipynb"), os.path.join(target, key + ".ipynb"))
    command = [PY, "-m", "nbgrader", "autograde", "ex*", "--force"]
    say("    nbgrader autograde of %d notebooks (%s) in %s" % (count, ", ".join("%s/%s" % p for p in picks), root))
    started = time.perf_counter()
    result = subprocess.run(command, cwd=root, env=env(PYTHONPATH=REPO), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError("nbgrader autograde failed:\n" + result.stderr[-3000:])
    autograded = sum(len(files) for _, _, files in os.walk(os.path.join(root, "autograded")))
    say("    %d notebooks in %.1f s: %.2f s each (%d files autograded)" % (count, seconds, seconds / count, autograded))
    return seconds / count


def figure_batches(args, work):
    numpy_count = args.numpy_count or (20 if args.quick else 200)
    keras_count = args.keras_count or (4 if args.quick else 50)
    baseline_count = 4 if args.quick else 10
    numpy_dir = os.path.join(work, "numpy", "submitted")
    make_numpy_submissions(numpy_dir, numpy_count)
    results = {}
    if 3 in args.only:
        say("[3] cli.py grade --all: %d notebooks each of ex1, ex2, ex3 (hidden cases, %s)"
            % (numpy_count, "bubblewrap sandbox" if shutil.which("bwrap") else "NO SANDBOX"))
        results["numpy"] = batch_grade(numpy_dir, 3 * numpy_count, "numpy", args.jobs)
    say("[3/4 baseline] nbgrader autograde of %d of the same notebooks" % baseline_count)
    nbgrader_per = nbgrader_baseline(numpy_dir, work, baseline_count)
    if "numpy" in results:
        per = results["numpy"][0]
        row("3 batch ex1-3 (%d)" % (3 * numpy_count), "%.3f s/notebook" % per,
            "%.2f s/notebook (nbgrader)" % nbgrader_per,
            "%.1fx" % (nbgrader_per / per), ">= 30x", nbgrader_per / per >= 30)
        otter = args.otter or shutil.which("otter")
        if otter:
            import otter_baseline
            students = sorted(os.listdir(numpy_dir))
            picks = [(("ex1", "ex2", "ex3")[k % 3], os.path.join(numpy_dir, students[k % len(students)],
                                                                 ("ex1", "ex2", "ex3")[k % 3],
                                                                 ("ex1", "ex2", "ex3")[k % 3] + ".ipynb"))
                     for k in range(baseline_count)]
            say("[3 baseline 2] otter run of %d of the same notebooks, on an equivalent Otter assignment (%s)"
                % (len(picks), otter))
            otter_per, _ = otter_baseline.time_otter_run(otter, picks, work)
            say("    %.2f s per notebook" % otter_per)
            row("3 vs Otter-Grader", "%.3f s/notebook" % per, "%.2f s/notebook (otter run)" % otter_per,
                "%.1fx" % (otter_per / per), "reported", None)
        else:
            say("    NOTE: no `otter` (Otter-Grader) found: its baseline is skipped (see benchmarks/otter_baseline.py)")
    if 4 in args.only:
        declared = declared_exercises()
        keys = []
        for key in ("ex5", "ex7"):
            if key not in declared:
                say("    NOTE: %s is not shown by `python cli.py list` yet: skipped" % key)
            elif keras_source(key) is None:
                say("    NOTE: no correct submission for %s (exercises/%s/samples or tests/corpus/%s): skipped"
                    % (key, key, key))
            else:
                keys.append(key)
                say("    %s submissions from %s" % (key, keras_source(key)))
        if keys:
            keras_dir = os.path.join(work, "keras", "submitted")
            make_keras_submissions(keras_dir, keys, keras_count)
            say("[4] cli.py grade --all: %d submissions each of %s" % (keras_count, ", ".join(keys)))
            per, result = batch_grade(keras_dir, keras_count * len(keys), "keras", args.jobs)
            results["keras"] = (per, result)
            keras_baseline = 2 if args.quick else 4
            say("[4 baseline] nbgrader autograde of %d of the same Keras notebooks (like with like)" % keras_baseline)
            keras_nbgrader = nbgrader_baseline(keras_dir, work, keras_baseline, tuple(keys), "course-keras")
            row("4 batch %s (%d)" % ("+".join(keys), keras_count * len(keys)), "%.3f s/submission" % per,
                "%.2f s/notebook (nbgrader, same Keras notebooks)" % keras_nbgrader,
                "%.1fx" % (keras_nbgrader / per), ">= 5x", keras_nbgrader / per >= 5)
            say("[4b] the same with --no-memo: every submission judged from scratch")
            fresh, _ = batch_grade(keras_dir, keras_count * len(keys), "keras-no-memo", args.jobs, ["--no-memo"])
            row("4b the same, --no-memo", "%.3f s/submission" % fresh,
                "%.2f s/notebook (nbgrader, same Keras notebooks)" % keras_nbgrader,
                "%.1fx" % (keras_nbgrader / fresh), "report", None)
    if results:
        figure_memory(results)


def figure_memory(results):
    say("[6] peak memory of the batch runs")
    bases = {"numpy": ("import numpy", [PY, "-c", "import numpy"]),
             "keras": ("import tensorflow", [PY, "-c", "import tensorflow"])}
    for kind, (_, result) in results.items():
        name, command = bases[kind]
        base = measured(command)["maxrss_kb"] / 1024
        largest = result["maxrss_kb"] / 1024
        row("6 memory %s: largest process" % kind, "%.0f MB" % largest, "%.0f MB (%s)" % (base, name),
            "%.1fx" % (largest / base), "report", None)
        row("6 memory %s: process tree peak PSS" % kind, "%.0f MB (%d proc.)" % (result["tree_peak_mb"],
                                                                           result["tree_processes"]),
            "%.0f MB (%s)" % (base, name), "%.1fx" % (result["tree_peak_mb"] / base), "report", None)


# ----------------------------------------------------------------------------
# 5: the reference's kernels

def conv_loop(x, filters, bias, stride, pads):
    """A student's loop: one np.sum per output value."""
    import numpy as np
    x = np.pad(np.asarray(x, dtype=float), (pads[0], pads[1], (0, 0)))
    kh, kw, _, count = filters.shape
    out_h, out_w = (x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1
    out = np.zeros((out_h, out_w, count))
    for f in range(count):
        for i in range(out_h):
            for j in range(out_w):
                window = x[i * stride:i * stride + kh, j * stride:j * stride + kw, :]
                out[i, j, f] = np.sum(window * filters[:, :, :, f]) + bias[f]
    return out


def pool_loop(x, size, stride, pads):
    """A student's loop: one max per output value and channel."""
    import numpy as np
    x = np.pad(np.asarray(x, dtype=float), (pads[0], pads[1], (0, 0)), constant_values=-np.inf)
    out_h, out_w = (x.shape[0] - size) // stride + 1, (x.shape[1] - size) // stride + 1
    out = np.zeros((out_h, out_w, x.shape[2]))
    for c in range(x.shape[2]):
        for i in range(out_h):
            for j in range(out_w):
                out[i, j, c] = np.max(x[i * stride:i * stride + size, j * stride:j * stride + size, c])
    return out


def timed(function, repeats, budget=0.2):
    """Median seconds per call: each repeat runs enough calls to last about ``budget`` seconds."""
    function()
    started = time.perf_counter()
    function()
    once = time.perf_counter() - started
    number = max(1, int(budget / max(once, 1e-6)))
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(number):
            function()
        samples.append((time.perf_counter() - started) / number)
    return statistics.median(samples)


def figure_kernels(args):
    import numpy as np
    import tensorflow as tf

    from reference.padding import conv2d_strided, same_pad_amounts
    from reference.pooling import pool2d

    repeats = 3 if args.quick else 7
    tag = args.kernels_tag
    say("[5%s] reference vs tf.nn (CPU) vs a Python loop: input 64x64x16, 3x3 windows, 32 filters, "
        "'same' padding; OPENBLAS_NUM_THREADS=%s" % (tag, os.environ.get("OPENBLAS_NUM_THREADS", "unset")))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 64, 16)).astype(np.float32)
    filters = rng.standard_normal((3, 3, 16, 32)).astype(np.float32)
    bias = rng.standard_normal(32).astype(np.float32)
    with tf.device("/CPU:0"):
        tx, tk, tb = tf.constant(x[None]), tf.constant(filters), tf.constant(bias)
        for stride in (1, 2):
            pads = (same_pad_amounts(64, 3, stride), same_pad_amounts(64, 3, stride))

            def tf_conv():
                return tf.nn.bias_add(tf.nn.conv2d(tx, tk, strides=stride, padding="SAME"), tb).numpy()

            def ref_conv():
                return conv2d_strided(x, filters, bias, stride=stride, padding="same")

            def tf_pool():
                return tf.nn.max_pool2d(tx, ksize=3, strides=stride, padding="SAME").numpy()

            def ref_pool():
                return pool2d(x, pool_size=3, strides=stride, padding="same", mode="max")

            assert np.allclose(ref_conv(), tf_conv()[0], atol=1e-3)
            assert np.allclose(ref_pool(), tf_pool()[0])
            assert np.allclose(conv_loop(x, filters, bias, stride, pads), ref_conv())
            assert np.allclose(pool_loop(x, 3, stride, pads), ref_pool())
            for name, ref, tf_fn, loop in (
                    ("conv2d_strided", ref_conv, tf_conv, lambda: conv_loop(x, filters, bias, stride, pads)),
                    ("pool2d max", ref_pool, tf_pool, lambda: pool_loop(x, 3, stride, pads))):
                t_ref = timed(ref, repeats)
                t_tf = timed(tf_fn, repeats)
                t_loop = timed(loop, 1 if args.quick else 3, budget=0)
                say("    %s stride %d: reference %.2f ms, tf.nn %.2f ms, loop %.0f ms"
                    % (name, stride, t_ref * 1e3, t_tf * 1e3, t_loop * 1e3))
                row("5%s %s s=%d vs TF" % (tag, name, stride), "%.2f ms" % (t_ref * 1e3),
                    "%.2f ms (tf.nn)" % (t_tf * 1e3),
                    "%.1fx" % (t_ref / t_tf), "<= 3x", t_ref / t_tf <= 3)
                row("5%s %s s=%d vs loop" % (tag, name, stride), "%.2f ms" % (t_ref * 1e3),
                    "%.0f ms (loop)" % (t_loop * 1e3),
                    "%.0fx faster" % (t_loop / t_ref), ">= 100x faster", t_loop / t_ref >= 100)


# ----------------------------------------------------------------------------

def figure_kernels_in_subprocesses(args):
    """Figure 5 twice, each in a fresh process: as the grader's parent runs NumPy now (OpenBLAS picks
    its threads), and with OPENBLAS_NUM_THREADS=1 as in the sandboxed child."""
    for tag, extra in (("", {}), ("b", {"OPENBLAS_NUM_THREADS": "1"})):
        command = [PY, os.path.abspath(__file__), "--kernels-tag", tag or "-"] + (["--quick"] if args.quick else [])
        process = subprocess.Popen(command, cwd=REPO, env=env(**extra), stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True)
        for line in process.stdout:
            if line.startswith("ROW\t"):
                ROWS.append(tuple(json.loads(line[4:])))
            else:
                say(line.rstrip("\n"))
        if process.wait() != 0:
            say("    figure 5%s failed (exit %d)" % (tag, process.returncode))


def table():
    header = ("figure", "value", "baseline", "ratio", "target", "met?")
    lines = [header] + [(f, v, b, r, t, {True: "yes", False: "NO", None: "-"}[m]) for f, v, b, r, t, m in ROWS]
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    say()
    for k, line in enumerate(lines):
        say("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)).rstrip())
        if k == 0:
            say("  ".join("-" * width for width in widths))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts and fewer repetitions")
    parser.add_argument("--only", default="1,2,3,4,5,6", help="comma-separated figures to measure")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="batch parallelism")
    parser.add_argument("--keep", metavar="DIR", help="generate submissions and courses in DIR and keep them")
    parser.add_argument("--numpy-count", type=int, help="figure 3: notebooks per exercise (default 200, quick 20)")
    parser.add_argument("--keras-count", type=int, help="figure 4: submissions per exercise (default 50, quick 4)")
    parser.add_argument("--otter", metavar="PATH", help="Otter-Grader's `otter` command, for a second baseline of "
                        "figure 3 (default: `otter` on PATH; install it in its own venv)")
    parser.add_argument("--kernels-tag", help=argparse.SUPPRESS)   # internal: figure 5 in a subprocess
    args = parser.parse_args()
    args.only = {int(x) for x in args.only.split(",") if x.strip()}
    os.chdir(REPO)
    if args.kernels_tag:
        args.kernels_tag = "" if args.kernels_tag == "-" else args.kernels_tag
        os.environ.update(QUIET_TF)
        figure_kernels(args)
        for line in ROWS:
            print("ROW\t" + json.dumps(line))
        return
    started = time.perf_counter()
    say("benchmarks: %s, %d cores, load average %s, bubblewrap %s"
        % ("quick" if args.quick else "full", os.cpu_count(), " ".join("%.1f" % v for v in os.getloadavg()),
           shutil.which("bwrap") or "MISSING"))
    work = args.keep or tempfile.mkdtemp(prefix="cnn-bench-")
    os.makedirs(work, exist_ok=True)
    try:
        if 1 in args.only:
            figure_check(args)
        if 2 in args.only:
            figure_check_keras(args)
        if args.only & {3, 4}:
            figure_batches(args, work)
        if 5 in args.only:
            figure_kernels_in_subprocesses(args)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        table()
        say("\ntotal %.0f s; load average now %s" % (time.perf_counter() - started,
                                                   " ".join("%.1f" % v for v in os.getloadavg())))


if __name__ == "__main__":
    main()
