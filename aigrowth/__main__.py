"""`python -m aigrowth <command>`: operator commands.

Add a command by writing a function `(args) -> int` and registering it in `COMMANDS`
with its argparse set-up.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


def _rotate_keys(_args: argparse.Namespace) -> int:
    """Re-encrypt every stored token under the primary ENCRYPTION_KEY."""
    import aigrowth.models  # noqa: F401  (registers tables)
    from aigrowth.db import session_scope
    from aigrowth.social.vault import rotate_keys

    with session_scope() as session:
        rotated, failed = rotate_keys(session=session)
    print(f"rotated {rotated} secret row(s); {failed} could not be decrypted")
    if failed:
        print(
            "Rows that failed were marked needs_reconnect. If you removed an old key, add it "
            "back after the primary key in ENCRYPTION_KEY and run this again.",
            file=sys.stderr,
        )
    return 1 if failed else 0


COMMANDS: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
    "rotate-keys": ("Re-encrypt stored tokens under the primary encryption key", _rotate_keys),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aigrowth")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, _fn) in COMMANDS.items():
        sub.add_parser(name, help=help_text)
    args = parser.parse_args(argv)
    return COMMANDS[args.command][1](args)


if __name__ == "__main__":
    raise SystemExit(main())
