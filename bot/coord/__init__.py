"""What workers share through Redis (TROLYSO_REDIS_URL): the client, and notices between workers.

Redis holds coordination only — locks, counters, notices. Everything a citizen owns is in the
database, so Redis losing its data loses nothing but a moment's coordination."""

from bot.coord.client import connect_redis

__all__ = ["connect_redis"]
