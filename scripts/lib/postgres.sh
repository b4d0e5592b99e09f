# shellcheck shell=bash
# ensure_postgres URL: makes sure the PostgreSQL server of URL answers. When it does not and the
# URL points at this machine: starts the local cluster, creating it (and installing PostgreSQL
# from Debian's packages) when there is none. PostgreSQL refuses to run as root, so clusters are
# run by the `postgres` user through pg_ctlcluster.

pg_log() { echo "postgres: $*" >&2; }

# Host and port of a postgres:// URL (defaults: localhost, 5432).
pg_host_port() {
  local rest="${1#*://}"
  rest="${rest#*@}"          # drop user:password@
  rest="${rest%%/*}"         # drop /database?params
  rest="${rest%%\?*}"
  local host="${rest%:*}" port="${rest##*:}"
  [ "$host" = "$rest" ] && port=5432
  [ -z "$host" ] && host=localhost
  echo "$host" "$port"
}

pg_reachable() {
  local host="$1" port="$2"
  [ "$host" = localhost ] && host=127.0.0.1
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    pg_log "need root (or sudo) to run: $*"; return 1; fi
}

pg_install() {
  pg_log "PostgreSQL is not installed: installing it from Debian's packages"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql postgresql-contrib
}

# A freshly installed Debian cluster asks for a password over TCP; for this development
# set-up, loopback connections are trusted instead (only on clusters this script set up).
pg_trust_loopback() {
  local hba="/etc/postgresql/$1/main/pg_hba.conf"
  if [ -f "$hba" ] && ! grep -q 'inquiry-desk' "$hba"; then
    pg_log "trusting loopback connections in $hba (development set-up)"
    as_root sed -i '1i # inquiry-desk development set-up: trust loopback\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
}

ensure_postgres() {
  local url="$1" host port
  read -r host port < <(pg_host_port "$url")
  if pg_reachable "$host" "$port"; then return 0; fi
  case "$host" in
    localhost|127.0.0.1|::1|\[::1\]) ;;
    *) pg_log "the configured database server $host:$port does not answer"; return 1 ;;
  esac
  local installed_now=0
  if ! command -v pg_lsclusters >/dev/null; then pg_install; installed_now=1; fi
  local version
  version=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$version" ] || { pg_log "no PostgreSQL server binaries found"; return 1; }
  if [ ! -d "/etc/postgresql/$version/main" ]; then
    pg_log "creating cluster $version/main on port $port"
    as_root pg_createcluster "$version" main --port "$port"
    installed_now=1
  fi
  [ "$installed_now" -eq 1 ] && pg_trust_loopback "$version"
  pg_log "starting cluster $version/main"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
    || as_root pg_ctlcluster --skip-systemctl-redirect "$version" main restart
  for _ in $(seq 1 60); do
    if pg_reachable "$host" "$port"; then return 0; fi
    sleep 0.5
  done
  pg_log "PostgreSQL did not come up on $host:$port"
  return 1
}
