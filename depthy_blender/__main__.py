"""`python -m depthy_blender ...` runs the headless CLI."""
import sys

from .cli import run_as_program

sys.exit(run_as_program())
