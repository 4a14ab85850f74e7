"""The long fuzz run: tests/test_fuzz.py's strategies at many cases.

    python benchmarks/fuzz.py                # 34,000 cases for each of the three fuzz tests
    python benchmarks/fuzz.py --cases 1000   # a shorter run

It runs pytest on the three hypothesis tests of tests/test_fuzz.py (generated valid specs
against PyTorch's formulas and the executor; token and byte mutations of the examples, where
only a located CnnCalcError may come out, each case under a 30 s watchdog) with
CNNCALC_FUZZ_EXAMPLES set, prints hypothesis's statistics and the time taken, and exits with
pytest's status. A failure is shrunk by hypothesis to a small input: add it to
tests/regressions/ with the fix.
"""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ["test_generated_specs_agree_with_pytorch_formulas_and_the_executor",
         "test_mutated_specs_give_an_answer_or_a_located_error",
         "test_mutated_bytes_give_an_answer_or_a_located_error"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=34_000,
                        help="cases for each of the three tests (default 34,000)")
    args = parser.parse_args()
    env = dict(os.environ, CNNCALC_FUZZ_EXAMPLES=str(args.cases))
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           "--hypothesis-show-statistics", "tests/test_fuzz.py", "-k", " or ".join(TESTS)]
    start = time.perf_counter()
    status = subprocess.call(cmd, cwd=ROOT, env=env)
    minutes = (time.perf_counter() - start) / 60
    print(f"\n{3 * args.cases:,} cases asked for ({args.cases:,} per test) in "
          f"{minutes:.1f} min; pytest exit status {status}")
    return status


if __name__ == "__main__":
    sys.exit(main())
