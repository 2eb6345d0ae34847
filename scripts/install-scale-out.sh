#!/usr/bin/env bash
# Installs what the scale-out tests need (tests/support/src/galera.rs, aggregator/tests/scale_out*):
# Debian's Galera provider with rsync and mariabackup for state transfers, and nginx as the load
# balancer. Installing starts no service (the tests start their own, on loopback). Skips all of it
# when everything is present.
set -euo pipefail

have() {
  [[ -f /usr/lib/galera/libgalera_smm.so ]] && command -v rsync >/dev/null 2>&1 &&
    command -v mariabackup >/dev/null 2>&1 && { command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]; }
}
if have; then
  exit 0
fi
echo "install-scale-out: installing galera-4 rsync mariadb-backup nginx" >&2
apt-get -o DPkg::Lock::Timeout=900 update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
  galera-4 rsync mariadb-backup nginx >/dev/null
have
