"""depthy_blender/errors.py: how any failure becomes the one line an artist reads, and which error types
the boundaries catch."""
import pytest

from depthy_blender.errors import DepthyError, OptionError, described, first_line


def test_an_option_error_is_caught_both_as_a_depthy_error_and_as_a_value_error():
    for kind in (DepthyError, ValueError, Exception):
        with pytest.raises(kind):
            raise OptionError("depth ratio must be finite")
    assert not issubclass(DepthyError, ValueError)


@pytest.mark.parametrize("message, limit, line", [
    ("  cannot read image\nTraceback (most recent call last):\n  ...", None, "cannot read image"),
    ("cannot read image", 6, "cannot"),
    ("abc", 3, "abc"),
    ("abc", 0, ""),
    ("\n\n  first after blanks\nsecond", None, "first after blanks"),
])
def test_first_line_keeps_only_the_first_line_cut_to_the_limit(message, limit, line):
    assert first_line(RuntimeError(message), limit) == line
    assert described(RuntimeError(message), limit) == f"RuntimeError: {line}"


def test_a_failure_that_says_nothing_is_named_by_its_type():
    for exc in (KeyError(), MemoryError(""), OSError("  \n ")):
        assert first_line(exc) == type(exc).__name__ == described(exc)
        assert first_line(exc, 2) == type(exc).__name__ == described(exc, 2)


def test_a_count_takes_its_noun_in_the_singular_for_one_only():
    from depthy_blender.errors import counted
    assert [counted(n, "area") for n in (0, 1, 2)] == ["0 areas", "1 area", "2 areas"]
    assert counted(1, "filled hole") == "1 filled hole"
