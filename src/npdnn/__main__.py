"""``python -m npdnn``: the same as the ``npdnn`` command."""

import sys

from .cli.main import main

sys.exit(main())
