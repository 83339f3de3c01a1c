"""Opt-in deadline reminders: storage (SQL and in-memory), the sender job and the CLI. The
conversation side is bot.core.reminders."""
