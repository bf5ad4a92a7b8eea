"""``python -m graders.grade <assignment> [nbgrader options]``: the nbgrader app behind ``graders grade``."""
import sys

from .app import main

sys.exit(main())
