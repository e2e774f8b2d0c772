"""What the commands' tests read from a --help: the module's text kept as written (argparse's
RawDescriptionHelpFormatter), a sentence however it was wrapped, and an option shown with its metavar."""


def _lines(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def as_written(doc: str, text: str) -> bool:
    """The whole of `doc`, line for line, in the help `text`."""
    return _lines(doc) in _lines(text)


def says(words: str, text: str) -> bool:
    """`words` in `text`, whatever the line breaks and indents."""
    return " ".join(words.split()) in " ".join(text.split())


def option_shown(named: str, text: str) -> bool:
    """`named` (an option and its metavar, e.g. "--join FOLDER") as a whole word in the options list."""
    options = text.split("\noptions:\n")[1]
    return named + " " in options or named + "\n" in options
