# docs/deploy.md's virtualenv and lock on the plain server (tests/deploy/server.py), built with the
# checkout as context: an image layer, so that a rerun does not fetch the lock from PyPI again.
ARG BASE=trolyso-test/systemd
FROM ${BASE}
ENV PIP_NO_CACHE_DIR=1
COPY requirements/server.txt /tmp/server.txt
RUN python3 -m venv /opt/trolyso/venv \
 && /opt/trolyso/venv/bin/pip install --require-hashes -r /tmp/server.txt \
 && rm /tmp/server.txt
