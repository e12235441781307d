"""Shared test setup: the `bot.testing` pytest plugin is loaded through its entry point."""
