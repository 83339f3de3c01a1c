# A plain Debian 12 server for deploy/systemd (tests/deploy/test_systemd_server.py): systemd as PID 1
# and the packages docs/deploy.md installs (nginx and certbot aside: the proxy is proven by
# tests/scale/test_cluster.py, and certbot needs the internet), sudo as an office's admin has it.
ARG BASE=trolyso-test/bookworm
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      systemd systemd-sysv dbus python3-venv postgresql redis-server sudo ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# Debian's redis unit asks for a user namespace (PrivateUsers=true), which a container cannot make
# on this CI machine; a real server can. Test scaffolding only: our units do not ask for one.
RUN mkdir -p /etc/systemd/system/redis-server.service.d \
 && printf '[Service]\nPrivateUsers=false\n' > /etc/systemd/system/redis-server.service.d/container.conf
# The building machine's CA bundle (build.sh puts it in the context), as in python.Dockerfile: the
# venv's pip (Debian's) trusts it, and PyPI is reached through a TLS-inspecting proxy here.
COPY host-ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
# systemd's own conventions for running in a container: it knows where it is, and stops on SIGRTMIN+3.
ENV container=docker LANG=C.UTF-8
STOPSIGNAL SIGRTMIN+3
CMD ["/sbin/init"]
