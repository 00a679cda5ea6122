"""``python -m studio`` is the ``roundtable`` command."""

import sys

from studio.cli import main

sys.exit(main())
