"""``python -m fastmlp.bench``: the ``fastmlp-bench`` command."""

import sys

from .cli import main

if __name__ == "__main__":  # importing the module (e.g. walking the package) runs nothing
    sys.exit(main())
