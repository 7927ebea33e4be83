"""``python -m fastmlp.bench``: the ``fastmlp-bench`` command."""

import sys

from .cli import main

sys.exit(main())
