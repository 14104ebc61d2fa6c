"""Reading a JSON Lines file with errors that name the file and line, for the
scripts that read one (make_demo.py, train_tactic_generator.py)."""

import json
from typing import Any, Callable, Iterator, Tuple


def read_json_lines(path: str, error: Callable[[str], Exception]) -> Iterator[Tuple[int, Any]]:
    """Yields (line number, value) for each line of `path` that is not blank.
    A line that is not JSON raises error("<path>:<line>: not JSON: <why>")."""
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise error(f"{path}:{n}: not JSON: {e}") from e
            yield n, row
