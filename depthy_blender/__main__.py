"""`python -m depthy_blender ...` runs the headless CLI."""
import sys

from .cli import main

sys.exit(main())
