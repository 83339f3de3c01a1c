"""The private usage log: what people ask and how the bot fares, never who they are.

Events from each turn are redacted (:mod:`bot.core.redact`), keyed to a pseudonym
(:mod:`bot.usage.pseudonym`) and written in batches by :class:`BatchedUsageSink`, which keeps
them in a local spool while the database is away.
"""

from bot.core.redact import redact
from bot.usage.factory import build_usage_sink, purge_usage, retention_months
from bot.usage.fanout import FanOutSink
from bot.usage.pseudonym import person_id
from bot.usage.sql import SqlUsageStore
from bot.usage.writer import BatchedUsageSink

__all__ = [
    "BatchedUsageSink",
    "FanOutSink",
    "SqlUsageStore",
    "build_usage_sink",
    "person_id",
    "purge_usage",
    "redact",
    "retention_months",
]
