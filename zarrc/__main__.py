"""``python -m zarrc``: the command line (see :mod:`zarrc.cli`)."""

import sys

from zarrc.cli import main

sys.exit(main())
