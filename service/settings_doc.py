"""Write the configuration table of docs/operations.md from the settings' declarations.

``python -m service.settings_doc docs/operations.md`` (``make docs``) replaces the block
between the two markers; a test fails while the file is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from service import blueprint_modules
from service.config import markdown_table, settings_of

START, END = "<!-- settings:start -->", "<!-- settings:end -->"


def current_table() -> str:
    """The table of every setting: the core's, then each blueprint's."""
    return markdown_table(settings_of(blueprint_modules()))


def with_table(text: str) -> str:
    """``text`` with the block between the markers replaced by the current table."""
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{current_table()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    path = Path(argv[0])
    path.write_text(with_table(path.read_text("utf-8")), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
