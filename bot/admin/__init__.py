"""The admin dashboard at /admin: usage charts, the not-understood inbox, exports and reports.

:class:`bot.admin.site.AdminSite` adds its routes to the one HTTP app; ``bot.admin.cli`` holds
the ``trolyso admin`` commands. Nothing is imported here, so the CLI stays quick to start.
"""
