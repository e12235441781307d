"""`python -m bot` is the same program as `ruche`."""

from bot.cli import main

raise SystemExit(main())
