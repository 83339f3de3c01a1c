# Stand-in for postgres:16 from Debian's PostgreSQL 15 (tests/deploy/images/build.sh): the same
# PGDATA, POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB on first start, pg_isready on PATH,
# password logins from other containers, the server running as user postgres.
ARG BASE=trolyso-test/bookworm
FROM ${BASE}
# No "main" cluster: the entry point makes one in PGDATA, as the official image does.
RUN mkdir -p /etc/postgresql-common/createcluster.d \
 && echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/no-main.conf \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data LANG=C.UTF-8
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
