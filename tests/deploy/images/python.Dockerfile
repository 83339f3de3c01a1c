# Stand-in for python:3.11-slim, from Debian's own packages (tests/deploy/images/build.sh): what
# deploy/Dockerfile takes from it is `python` and `pip` on PATH, installing into a site of their
# own (Debian's python3 refuses pip into /usr, PEP 668), CA certificates for PyPI, and useradd.
ARG BASE=trolyso-test/bookworm
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/python
# The building machine's CA bundle (build.sh puts it in the context): where a proxy inspects TLS,
# as on CI here, pip reaches PyPI only trusting what the host trusts.
COPY host-ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV PATH=/opt/python/bin:$PATH LANG=C.UTF-8
CMD ["python3"]
