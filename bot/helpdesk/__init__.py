"""Community digital technology teams: volunteers, help requests, assisted sessions (storage and
upkeep; the conversation side is bot.core.community)."""
