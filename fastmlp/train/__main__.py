"""``python -m fastmlp.train``: the ``fastmlp-train`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
