"""build.py loaded as the module `build` (it is a script at the repository's root, not a package), for the
tests of the packages it makes and of its steps."""
import importlib.util
import sys

from tests.conftest import ROOT


def load_build():
    """The module `build`, loaded once; dataclasses look their module up in sys.modules."""
    if "build" not in sys.modules or getattr(sys.modules["build"], "__file__", None) != str(ROOT / "build.py"):
        spec = importlib.util.spec_from_file_location("build", ROOT / "build.py")
        module = sys.modules["build"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules["build"]
