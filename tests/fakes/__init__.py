"""Fake platform servers (Telegram Bot API, Zalo OA) on 127.0.0.1 for the channel tests."""
