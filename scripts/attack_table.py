#!/usr/bin/env python3
"""Print a table of the attacks in tests/attacks/ and whether the sandbox blocked each.

    python scripts/attack_table.py                 # with bubblewrap, as grading runs
    python scripts/attack_table.py --unisolated    # without it, to see what the sandbox adds
    python scripts/attack_table.py --isolation uid+seccomp   # the fallback jail (as root, after `jail setup`)

Without the sandbox, the attacks that signal every process are skipped: as
root they would kill the machine's processes, not just the grader's.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.attacks.harness import ATTACKS, run_attack  # noqa: E402

UNSAFE_UNISOLATED = {"kill_everything", "kill_parent"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unisolated", action="store_true", help="run without bubblewrap")
    parser.add_argument("--isolation", choices=["namespaces", "uid+seccomp", "none"],
                        help="the jail to try (default namespaces, or none with --unisolated)")
    args = parser.parse_args()
    level = args.isolation or ("none" if args.unisolated else "namespaces")
    args.unisolated = level == "none"
    rows = []
    for path in ATTACKS:
        if args.unisolated and path.stem in UNSAFE_UNISOLATED:
            rows.append((path.stem, "skipped", "unsafe without the sandbox", 0.0))
            continue
        result = run_attack(path, isolate=level)
        rows.append((result.description, "blocked" if result.blocked else "NOT BLOCKED", result.how, result.seconds))
        print("%-62s %-12s %5.1fs  %s" % (rows[-1][0][:62], rows[-1][1], rows[-1][3], rows[-1][2][:60]), flush=True)
    blocked = sum(r[1] == "blocked" for r in rows)
    print("\n%d of %d attacks blocked (isolation: %s)" % (blocked, len(rows), level))
    return 0 if blocked == len([r for r in rows if r[1] != "skipped"]) else 1


if __name__ == "__main__":
    sys.exit(main())
