"""Platform adapters: each translates one chat platform to and from `bot.model`."""
