"""`python -m aigrowth <command>`: operator commands.

Add a command by writing a function `(args) -> int` and registering it in `COMMANDS`
with its argparse set-up.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


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


def _prestart(args: argparse.Namespace) -> int:
    """Wait for the database and Redis, then apply the migrations."""
    from aigrowth.logging_setup import configure_logging
    from aigrowth.prestart import prestart

    configure_logging()
    try:
        prestart(timeout=args.timeout)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _backup(args: argparse.Namespace) -> int:
    """A consistent snapshot of the database and media; the keys in a file apart."""
    from aigrowth.backup import BackupError, backup

    try:
        result = backup(args.dir)
    except BackupError as exc:
        print(f"Backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"snapshot: {result.snapshot}")
    print(f"keys:     {result.keys_file}")
    print(
        "WARNING: the keys file decrypts every connected account's tokens. Move it away "
        "from the backups (password manager, another location) and keep it safe: a "
        "restore without it means reconnecting every account.",
        file=sys.stderr,
    )
    return 0


def _restore(args: argparse.Namespace) -> int:
    """Put a snapshot back (stop web, workers and scheduler first)."""
    from aigrowth.backup import BackupError, restore

    try:
        print(restore(args.snapshot, keys=args.keys))
    except BackupError as exc:
        print(f"Restore failed: {exc}", file=sys.stderr)
        return 1
    return 0


def _args_prestart(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait")


def _args_backup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="directory that receives the snapshot")


def _args_restore(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("snapshot", type=Path, help="a directory written by `backup`")
    parser.add_argument("--keys", type=Path, help="the .keys.env file written with it")


def _billing(args: argparse.Namespace) -> int:
    """`billing sync`: re-read every subscription from Stripe (repairs drift)."""
    import aigrowth.models  # noqa: F401  (registers tables)
    from aigrowth.billing.service import sync_all
    from aigrowth.db import session_scope
    from aigrowth.settings import get_settings

    if not get_settings().billing_enabled:
        print("Billing is off (STRIPE_SECRET_KEY is not set); nothing to sync.", file=sys.stderr)
        return 1
    with session_scope() as session:
        counts = sync_all(session=session)
    print(
        f"checked {counts['checked']} customer(s): {counts['changed']} changed, "
        f"{counts['failed']} could not be read from Stripe"
    )
    return 1 if counts["failed"] else 0


def _args_billing(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["sync"], help="sync: re-read all from Stripe")


Command = tuple[
    str, Callable[[argparse.Namespace], int], Callable[[argparse.ArgumentParser], None] | None
]
COMMANDS: dict[str, Command] = {
    "rotate-keys": (
        "Re-encrypt stored tokens under the primary encryption key",
        _rotate_keys,
        None,
    ),
    "prestart": ("Wait for the database and Redis, then migrate", _prestart, _args_prestart),
    "backup": ("Snapshot the database and media; keys in a file apart", _backup, _args_backup),
    "restore": ("Restore a snapshot (stop the app first)", _restore, _args_restore),
    "billing": ("`billing sync`: re-read subscriptions from Stripe", _billing, _args_billing),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aigrowth")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, _fn, add_args) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text)
        if add_args is not None:
            add_args(command_parser)
    args = parser.parse_args(argv)
    return COMMANDS[args.command][1](args)


if __name__ == "__main__":
    raise SystemExit(main())
