# Sourced by the scripts in scripts/services/, which set `name` first. Progress and errors go to
# stderr, so that stdout carries only the KEY=VALUE lines that scripts/services/up collects.

started=$EPOCHREALTIME
log() { awk -v now="$EPOCHREALTIME" -v t0="$started" -v msg="$name: $*" 'BEGIN {printf "[%6.2fs] %s\n", now - t0, msg}' >&2; }
die() { echo "$name: $*" >&2; exit 1; }

# wait_for SECONDS WHAT LOGFILE COMMAND...: runs COMMAND (each try bounded by the caller) every
# 0.5 s until it succeeds; after SECONDS, fails naming WHAT and the log to read.
wait_for() {
  local seconds=$1 what=$2 logfile=$3
  shift 3
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "$what not ready after $seconds s (see $logfile)"
    sleep 0.5
  done
}

# reserve_port PORT: keeps the kernel from handing PORT out as a client's ephemeral port (a
# leftover connection in TIME-WAIT on it would stop a server from binding it). Needs root; a
# no-op otherwise.
reserve_port() {
  local file=/proc/sys/net/ipv4/ip_local_reserved_ports current
  current=$(cat "$file" 2>/dev/null) || return 0
  [[ ",$current," == *",$1,"* ]] && return 0
  echo "${current:+$current,}$1" > "$file" 2>/dev/null || true
}

# apt_install PACKAGE...: Debian packages without recommends, at most 15 minutes a try; runs
# `apt-get update` and tries again if the first try fails (no package lists yet, or old ones).
apt_install() {
  log "installing $*"
  local install=(timeout 900 apt-get install -y -q --no-install-recommends "$@")
  export DEBIAN_FRONTEND=noninteractive
  "${install[@]}" >&2 || { timeout 300 apt-get update -q >&2 && "${install[@]}" >&2; } ||
    die "apt-get install $* failed"
  log "installed"
}
