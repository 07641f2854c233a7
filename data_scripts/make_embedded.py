"""Generate the course's embedded synthetic datasets (digits, facades, unpaired).

    python data_scripts/make_embedded.py                  # into the course data folder
    python data_scripts/make_embedded.py --root data --size small --seed 0
    python data_scripts/make_embedded.py --only facades --overwrite

Generation is deterministic and skipped when an identical dataset is already there.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

try:
    from course_lib.data.synthetic import EMBEDDED_DATASETS, SIZES
except ImportError:  # run from a checkout without installing course_lib
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from course_lib.data.synthetic import EMBEDDED_DATASETS, SIZES


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, generate the datasets, print where they are."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=None, help="data folder (default: course data dir)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--size", choices=SIZES, default="default", help="dataset size")
    parser.add_argument(
        "--only", choices=sorted(EMBEDDED_DATASETS), action="append", help="only this dataset"
    )
    parser.add_argument("--overwrite", action="store_true", help="regenerate even if present")
    args = parser.parse_args(argv)
    for name in args.only or list(EMBEDDED_DATASETS):
        start = time.perf_counter()
        folder = EMBEDDED_DATASETS[name](
            args.root, seed=args.seed, size=args.size, overwrite=args.overwrite
        )
        print(f"{name:<9} {folder}  ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
