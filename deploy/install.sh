#!/usr/bin/env bash
# Install verifalia-server on a Debian host: a service user, a virtualenv, the configuration for an
# external PostgreSQL (DATABASE_URL), the migrations, the first account, N systemd node instances and an
# nginx site that spreads requests over them (round-robin, failing over to the others). Safe to run again.
# See deploy/INSTALL.md. Run as root.
set -euo pipefail

SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX=/opt/verifalia-server
CONFIG_DIR=/etc/verifalia
STATE_DIR=/var/lib/verifalia
SERVICE_USER=verifalia
PYTHON=/usr/bin/python3
DATABASE_URL_VALUE=""
ADMIN_DATABASE_URL=""
NODES=2
BASE_PORT=8081
LISTEN=80
SERVER_NAME=_
NGINX_SITE=/etc/nginx/sites-available/verifalia.conf
NGINX_ENABLED_DIR=/etc/nginx/sites-enabled
UNIT_DIR=/etc/systemd/system
WHEELHOUSE=""
ACCOUNT_NAME=main
ACCOUNT_CREDITS=0
START=1

usage() {
    cat <<'USAGE'
usage: install.sh --database-url URL [options]
  --database-url URL        PostgreSQL URL the nodes use (required)
  --admin-database-url URL  a superuser URL on the same server: create the role and database of
                            --database-url first (skipped when they exist)
  --nodes N                 node instances (default 2), listening on --base-port, +1, ...
  --base-port PORT          port of api-1 (default 8081)
  --listen PORT             port nginx listens on (default 80)
  --server-name NAME        nginx server_name (default _)
  --prefix DIR              program files, virtualenv in DIR/venv (default /opt/verifalia-server)
  --config-dir DIR          environment files (default /etc/verifalia)
  --state-dir DIR           the service user's writable directory (default /var/lib/verifalia)
  --user NAME               service user (default verifalia)
  --python PATH             Python 3.11+ with venv (default /usr/bin/python3)
  --wheelhouse DIR          install offline from the wheels in DIR
  --account-name NAME       name of the first account (default main)
  --account-credits N       its initial credit pack (default 0; add more with `accounts credits add`)
  --nginx-site FILE         where the nginx site goes (default /etc/nginx/sites-available/verifalia.conf)
  --nginx-enabled-dir DIR   where it is linked (default /etc/nginx/sites-enabled; "" for no link)
  --unit-dir DIR            where the systemd unit goes (default /etc/systemd/system)
  --no-start                write everything but start nothing (no systemctl, no nginx reload)
USAGE
}

while [ $# -gt 0 ]; do
    case "$1" in
        --database-url) DATABASE_URL_VALUE="$2"; shift 2 ;;
        --admin-database-url) ADMIN_DATABASE_URL="$2"; shift 2 ;;
        --nodes) NODES="$2"; shift 2 ;;
        --base-port) BASE_PORT="$2"; shift 2 ;;
        --listen) LISTEN="$2"; shift 2 ;;
        --server-name) SERVER_NAME="$2"; shift 2 ;;
        --prefix) PREFIX="$2"; shift 2 ;;
        --config-dir) CONFIG_DIR="$2"; shift 2 ;;
        --state-dir) STATE_DIR="$2"; shift 2 ;;
        --user) SERVICE_USER="$2"; shift 2 ;;
        --python) PYTHON="$2"; shift 2 ;;
        --wheelhouse) WHEELHOUSE="$2"; shift 2 ;;
        --account-name) ACCOUNT_NAME="$2"; shift 2 ;;
        --account-credits) ACCOUNT_CREDITS="$2"; shift 2 ;;
        --nginx-site) NGINX_SITE="$2"; shift 2 ;;
        --nginx-enabled-dir) NGINX_ENABLED_DIR="$2"; shift 2 ;;
        --unit-dir) UNIT_DIR="$2"; shift 2 ;;
        --no-start) START=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done

fail() { echo "install.sh: $*" >&2; exit 1; }
step() { echo "==> $*"; }

[ "$(id -u)" -eq 0 ] || fail "run as root"
[ -n "$DATABASE_URL_VALUE" ] || fail "--database-url is required"
[[ "$NODES" =~ ^[1-9][0-9]*$ ]] || fail "--nodes must be a positive whole number"
[[ "$BASE_PORT" =~ ^[0-9]+$ ]] && [ $((BASE_PORT + NODES - 1)) -le 65535 ] || fail "bad --base-port"
"$PYTHON" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' \
    || fail "$PYTHON must be Python 3.11+ with the venv module (apt-get install python3-venv)"

VENV="$PREFIX/venv"
ENV_FILE="$CONFIG_DIR/verifalia.env"

step "service user $SERVICE_USER"
if ! getent passwd "$SERVICE_USER" >/dev/null; then
    useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home \
        --shell /usr/sbin/nologin "$SERVICE_USER"
fi
install -d -m 0755 "$PREFIX"
install -d -m 0750 -o root -g "$SERVICE_USER" "$CONFIG_DIR"
install -d -m 0750 -o "$SERVICE_USER" -g "$SERVICE_USER" "$STATE_DIR"

step "virtualenv $VENV"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
if [ -n "$WHEELHOUSE" ]; then
    "$VENV/bin/pip" install --quiet --no-index --find-links "$WHEELHOUSE" --upgrade verifalia-server
else
    "$VENV/bin/pip" install --quiet --upgrade "$SOURCE"
fi
rm -rf "$PREFIX/migrations"
cp -r "$SOURCE/migrations" "$PREFIX/migrations"
chmod -R a+rX "$PREFIX"

step "configuration $ENV_FILE"
if [ ! -f "$ENV_FILE" ]; then
    {
        echo "# verifalia-server settings shared by every node (see README.md, Configuration)."
        echo "DATABASE_URL=$DATABASE_URL_VALUE"
        echo "VERIFALIA_MIGRATIONS_DIR=$PREFIX/migrations"
        echo "VERIFALIA_DATA_DIR=$STATE_DIR"
        echo "VERIFALIA_HOST=127.0.0.1"
        echo "VERIFALIA_TRUSTED_PROXIES=127.0.0.1"
        echo "VERIFALIA_METRICS_ALLOWED=127.0.0.1"
    } >"$ENV_FILE"
fi
chown root:"$SERVICE_USER" "$ENV_FILE"
chmod 0640 "$ENV_FILE"
for ((instance = 1; instance <= NODES; instance++)); do
    echo "VERIFALIA_PORT=$((BASE_PORT + instance - 1))" >"$CONFIG_DIR/node-$instance.env"
    chmod 0644 "$CONFIG_DIR/node-$instance.env"
done

# Run a verifalia-server command as the service user with the shared configuration.
as_service() {
    (
        set -a
        # shellcheck disable=SC1090
        . "$ENV_FILE"
        set +a
        cd "$STATE_DIR"
        runuser -u "$SERVICE_USER" -- "$VENV/bin/verifalia-server" "$@"
    )
}

if [ -n "$ADMIN_DATABASE_URL" ]; then
    step "database and role of DATABASE_URL"
    "$VENV/bin/python" - "$ADMIN_DATABASE_URL" "$DATABASE_URL_VALUE" <<'PY'
import asyncio
import sys
from urllib.parse import unquote, urlsplit

import asyncpg


async def main(admin_url: str, url: str) -> None:
    parts = urlsplit(url)
    role, password = unquote(parts.username or ""), unquote(parts.password or "")
    database = unquote(parts.path.lstrip("/"))
    if not role or not database:
        raise SystemExit("DATABASE_URL must name a user and a database")
    connection = await asyncpg.connect(admin_url)
    try:
        quoted_role = '"' + role.replace('"', '""') + '"'
        if not await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
            literal = "'" + password.replace("'", "''") + "'"
            await connection.execute(f"CREATE ROLE {quoted_role} LOGIN PASSWORD {literal}")
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            quoted_database = '"' + database.replace('"', '""') + '"'
            await connection.execute(f"CREATE DATABASE {quoted_database} OWNER {quoted_role}")
    finally:
        await connection.close()


asyncio.run(main(sys.argv[1], sys.argv[2]))
PY
fi

step "migrations"
as_service migrate

step "first account"
if as_service accounts list --json | "$VENV/bin/python" -c \
    'import json, sys; sys.exit(0 if json.load(sys.stdin)["accounts"] else 1)'; then
    echo "accounts exist already; none created"
else
    CREDENTIALS_FILE="$CONFIG_DIR/first-account.json"
    (umask 077; as_service accounts create --name "$ACCOUNT_NAME" --credits "$ACCOUNT_CREDITS" --json >"$CREDENTIALS_FILE")
    echo "first account created; its SID and token are in $CREDENTIALS_FILE (readable by root only)"
fi

step "systemd unit $UNIT_DIR/verifalia-api@.service"
install -d "$UNIT_DIR"
sed -e "s|/opt/verifalia-server|$PREFIX|g" -e "s|/etc/verifalia|$CONFIG_DIR|g" \
    -e "s|/var/lib/verifalia|$STATE_DIR|g" -e "s|^User=.*|User=$SERVICE_USER|" \
    -e "s|^Group=.*|Group=$SERVICE_USER|" \
    "$SOURCE/deploy/systemd/verifalia-api@.service" >"$UNIT_DIR/verifalia-api@.service"

step "nginx site $NGINX_SITE"
install -d "$(dirname "$NGINX_SITE")"
{
    echo "# verifalia-server: round-robin over the nodes; a node that fails is skipped for 10 s."
    echo "upstream verifalia_nodes {"
    for ((instance = 1; instance <= NODES; instance++)); do
        echo "    server 127.0.0.1:$((BASE_PORT + instance - 1)) max_fails=1 fail_timeout=10s;"
    done
    echo "    keepalive 32;"
    echo "}"
    echo
    echo "server {"
    echo "    listen $LISTEN;"
    echo "    server_name $SERVER_NAME;"
    echo "    client_max_body_size 64m;"
    echo
    echo "    # Metrics are for the monitoring system only, not for the Internet."
    echo "    location = /metrics {"
    echo "        allow 127.0.0.1;"
    echo "        deny all;"
    echo "        proxy_pass http://verifalia_nodes;"
    echo "    }"
    echo
    echo "    location / {"
    echo "        proxy_pass http://verifalia_nodes;"
    echo "        proxy_http_version 1.1;"
    echo "        proxy_set_header Connection \"\";"
    echo "        proxy_set_header Host \$host;"
    echo "        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;"
    echo "        proxy_set_header X-Forwarded-Proto \$scheme;"
    echo "        proxy_set_header X-Request-Id \$request_id;"
    echo "        proxy_buffering off;"
    echo "        proxy_read_timeout 120s;"
    echo "        # A node that refuses or drops the connection is skipped; a submission is never re-sent."
    echo "        proxy_next_upstream error timeout http_502 http_503;"
    echo "        proxy_next_upstream_tries 2;"
    echo "    }"
    echo "}"
} >"$NGINX_SITE"
if [ -n "$NGINX_ENABLED_DIR" ]; then
    install -d "$NGINX_ENABLED_DIR"
    ln -sf "$NGINX_SITE" "$NGINX_ENABLED_DIR/$(basename "$NGINX_SITE")"
fi

if [ "$START" -eq 1 ]; then
    step "starting"
    systemctl daemon-reload
    instances=()
    for ((instance = 1; instance <= NODES; instance++)); do instances+=("verifalia-api@$instance"); done
    systemctl enable --now "${instances[@]}"
    nginx -t
    systemctl reload nginx
fi
step "done"
