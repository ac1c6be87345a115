"""``python -m tlslens ...``: the same command line as the ``tlslens`` script, for an
interpreter whose scripts folder is not on PATH (a venv not activated, another Python)."""

import sys

from tlslens.cli import main

sys.exit(main())
