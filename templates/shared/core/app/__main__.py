"""``python -m app``: the operator commands, the same for both frameworks."""

import sys

from app.cli import main

sys.exit(main())
