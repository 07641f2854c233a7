"""Download a real dataset into the course's layout.

    python data_scripts/download.py horse2zebra --root data/
    python data_scripts/download.py facades                 # pix2pix facades
    python data_scripts/download.py --list
    python data_scripts/download.py horse2zebra --archive ~/Downloads/horse2zebra.zip

The work is done by :mod:`course_lib.data.download`, which notebooks can call directly.
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    from course_lib.data.download import main
except ImportError:  # run from a checkout without installing course_lib
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from course_lib.data.download import main

if __name__ == "__main__":
    sys.exit(main())
