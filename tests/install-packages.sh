#!/bin/sh
# Installs the Debian packages the test suite runs against, only those missing.
# Non-interactive; no system daemon is configured or left running by the installation.
set -eu

PACKAGES="postfix postgrey microsocks dante-server nginx python3-venv postgresql strace chromium chromium-driver"

missing=""
for package in $PACKAGES; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    if [ "$status" != "installed" ]; then
        missing="$missing $package"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "tests/install-packages.sh: missing Debian packages:$missing" >&2
    echo "run as root (or: sudo apt-get install -y$missing)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Postfix's installer asks nothing and writes no system configuration.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections

# Maintainer scripts may not start services while the packages install (policy-rc.d exit 101).
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=yes
fi
cleanup() {
    if [ -n "$own_policy" ]; then
        rm -f "$policy"
    fi
}
trap cleanup EXIT

echo "installing Debian packages:$missing"
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null

# Where an existing policy let them start, stop the system instances just installed: the tests run their own.
for package in $missing; do
    case "$package" in
        dante-server) service=danted ;;
        *) service=$package ;;
    esac
    if [ -x "/etc/init.d/$service" ]; then
        "/etc/init.d/$service" stop >/dev/null 2>&1 || true
    fi
done
