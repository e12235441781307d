"""The `ruche` command line: run, check-config, reload, init, db, communities, export, plugins, discord.

`bot.cli:main` is the console script; each subcommand lives in the module named after it.
"""

from __future__ import annotations

from bot.cli.parser import build_parser


def main(argv: list[str] | None = None) -> int:
    """Parse, run the subcommand, and turn known failures into one line and an exit code."""
    from bot.errors import StartupError
    from bot.files import restrict_umask

    args = build_parser().parse_args(argv)
    restrict_umask()  # the ledger and members' identities are never world-readable
    try:
        result: int = args.func(args)
        return result
    except KeyboardInterrupt:
        return 0
    except StartupError as exc:
        from rich.markup import escape

        from bot.cli.common import err

        err().print(f"[red]ruche: {escape(str(exc))}[/]", soft_wrap=True)  # one line, any width
        return exc.exit_code
    except Exception as exc:
        # Imported only on failure, so `ruche --help` and `ruche run` load neither rich nor
        # (for --help) the config schema before they need them.
        from rich.markup import escape

        from bot.cli.common import err, print_errors
        from bot.config import ConfigErrors
        from bot.storage import DatabaseTooNew

        if isinstance(exc, ConfigErrors):
            print_errors(exc)
            return 1
        if isinstance(exc, DatabaseTooNew):
            err().print(f"[red]{escape(str(exc))}[/] — upgrade Ruche before using this database.")
            return 2
        raise


__all__ = ["build_parser", "main"]
