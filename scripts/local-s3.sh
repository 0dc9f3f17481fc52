#!/usr/bin/env bash
# local-s3.sh - a throwaway, single-node Ceph RADOS Gateway (a real S3 server)
# on 127.0.0.1, for tests, benchmarks and the sample app.
#
# Usage: scripts/local-s3.sh start|stop|status|env
#
#   start   install Ceph if missing, create a fresh cluster, wait until S3 answers
#   stop    stop our daemons (by PID, cmdline checked) and delete the state folder
#   status  exit 0 and print "running" if S3 is up and answering, else exit 1
#   env     print `export` lines for the S3 client (eval "$(scripts/local-s3.sh env)")
#
# Environment:
#   LOCAL_S3_PORT      S3 (HTTP) port                     default 7480
#   LOCAL_S3_MON_PORT  Ceph monitor (msgr2) port          default 3301 (3300 is a system mon's)
#   LOCAL_S3_DIR       state folder (conf, logs, pids…)   default <repo>/.local-s3
#
# Shape: one mon, one OSD with the memstore backend (objects live in RAM), one
# radosgw with the beast frontend; auth disabled; everything bound to loopback.
# Everything the cluster owns lives in the state folder; nothing is written to
# /etc/ceph or /var/lib/ceph.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname -- "$SCRIPT_DIR")"

PORT="${LOCAL_S3_PORT:-7480}"
MON_PORT="${LOCAL_S3_MON_PORT:-3301}"
# Absolute path: it is written into ceph.conf and matched against /proc/PID/cmdline.
STATE_DIR="$(realpath -m -- "${LOCAL_S3_DIR:-$REPO_DIR/.local-s3}")"
CONF="$STATE_DIR/ceph.conf"
ENDPOINT="http://127.0.0.1:$PORT"

MAIN_UID=test
MAIN_ACCESS_KEY=s3lock-test-key
MAIN_SECRET_KEY=s3lock-test-secret
LIMITED_UID=limited
LIMITED_ACCESS_KEY=s3lock-limited-key
LIMITED_SECRET_KEY=s3lock-limited-secret

READY_TIMEOUT=60   # seconds to wait for S3 to answer after radosgw starts
STOP_TIMEOUT=5     # seconds between SIGTERM and SIGKILL (a healthy stop takes < 1 s;
                   # the data is thrown away anyway, so there is no point waiting long)

# Daemon names, in start order (stopped in reverse).
DAEMONS=(mon.a osd.0 client.rgw.local)

log() { printf 'local-s3: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Run a command as root (sudo only if we are not root and sudo exists).
as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $*"
  fi
}

# Milliseconds since the epoch (for the start timer).
now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- install ---

binaries_present() {
  local b
  for b in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool ceph-authtool uuidgen curl; do
    command -v "$b" >/dev/null 2>&1 || return 1
  done
}

# True while some apt/dpkg process is running (e.g. a background install
# logging to /tmp/apt.log).
apt_busy() { pgrep -x 'apt-get|apt|dpkg|unattended-upgr' >/dev/null 2>&1; }

install_ceph() {
  binaries_present && return 0

  # Another install may already be under way: let it finish, it may be ours.
  if apt_busy; then
    log "an apt/dpkg run is in progress (see /tmp/apt.log); waiting for it (up to 600 s)"
    local waited=0
    while apt_busy && (( waited < 600 )); do sleep 2; waited=$((waited + 2)); done
    binaries_present && return 0
  fi

  log "installing ceph-mon, ceph-osd, radosgw (apt-get)"
  local attempt out=""
  for attempt in 1 2 3 4 5 6; do
    # DPkg::Lock::Timeout makes apt wait for the dpkg lock instead of failing;
    # the retry loop also covers the apt lists lock taken by `apt-get update`.
    if out="$(as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 update 2>&1)" &&
       out="$(as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y \
                --no-install-recommends ceph-mon ceph-osd radosgw uuid-runtime curl 2>&1)"; then
      binaries_present && return 0
      die "apt-get succeeded but Ceph binaries are still missing"
    fi
    if grep -qiE 'could not get lock|unable to acquire|lock-frontend|is another process using it' <<<"$out"; then
      log "apt/dpkg lock busy (attempt $attempt); retrying in 10 s"
      sleep 10
      continue
    fi
    printf '%s\n' "$out" | tail -20 >&2
    die "apt-get failed"
  done
  die "could not get the apt/dpkg lock; try again later"
}

# ---------------------------------------------------------------- process ---

# True if PID is alive and its command line names our conf file (so a PID that
# the kernel has since handed to another process is never touched).
is_ours() {
  local pid=$1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  local args a
  # mapfile is a builtin: no fork per process when scanning /proc.
  mapfile -d '' args 2>/dev/null </proc/"$pid"/cmdline || return 1
  for a in "${args[@]}"; do
    [[ $a == *"$CONF"* ]] && return 0
  done
  return 1
}

pid_of() { # daemon name -> pid from its pid file (empty if none)
  local f="$STATE_DIR/run/$1.pid"
  [[ -r $f ]] && tr -dc '0-9' <"$f" || true
}

# ceph_procs [NAME...]: pids of Ceph programs (default: any of ours) whose
# cmdline names our conf. Filtering on the program name keeps e.g. an editor
# that has our ceph.conf open out of it.
ceph_procs() {
  local names=" ${*:-ceph-mon ceph-osd radosgw radosgw-admin ceph} " p pid comm
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    read -r comm 2>/dev/null <"$p/comm" || continue
    [[ $names == *" $comm "* ]] && is_ours "$pid" && echo "$pid"
  done
  return 0
}

# All live processes that belong to this cluster: pid files first, plus a scan
# of /proc (covers a daemon that died or was killed before writing its pid file).
our_pids() {
  local d pid
  {
    for d in "${DAEMONS[@]}"; do
      pid="$(pid_of "$d")"
      [[ -n $pid ]] && is_ours "$pid" && echo "$pid"
    done
    ceph_procs
  } | sort -un
}

# Is our radosgw process still there? (Ceph removes the pid file when a daemon
# exits, and writes it a moment after forking, so also look for the process.)
rgw_alive() {
  local pid
  pid="$(pid_of client.rgw.local)"
  [[ -n $pid ]] && is_ours "$pid" && return 0
  [[ -n $(ceph_procs radosgw) ]]
}

# Does anything answer HTTP on the S3 port? (Any status code counts.)
s3_answers() {
  local code
  code="$(curl -s -o /dev/null -m 3 -w '%{http_code}' "$ENDPOINT/" 2>/dev/null || true)"
  [[ -n $code && $code != 000 ]]
}

# Running = every daemon's pid file points at a live process of ours, and S3 answers.
is_running() {
  [[ -f $CONF ]] || return 1
  local d pid
  for d in "${DAEMONS[@]}"; do
    pid="$(pid_of "$d")"
    [[ -n $pid ]] && is_ours "$pid" || return 1
  done
  s3_answers
}

port_in_use() { # port -> true if something accepts TCP connections on 127.0.0.1:port
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# term_and_wait TIMEOUT PID...: SIGTERM the pids (ours only), wait up to
# TIMEOUT seconds, then SIGKILL. A zombie has an empty cmdline: it counts as gone.
term_and_wait() {
  local timeout=$1 pid alive ticks=0
  shift
  for pid in "$@"; do is_ours "$pid" && kill -TERM "$pid" 2>/dev/null || true; done
  while :; do
    alive=()
    for pid in "$@"; do is_ours "$pid" && alive+=("$pid"); done
    (( ${#alive[@]} )) || return 0
    (( ticks < timeout * 10 )) || break
    sleep 0.1; ticks=$((ticks + 1))
  done
  log "still alive after ${timeout} s, sending SIGKILL to ${alive[*]}"
  for pid in "${alive[@]}"; do is_ours "$pid" && kill -KILL "$pid" 2>/dev/null || true; done
  sleep 0.2
}

# Stop every daemon of ours. radosgw first, then the OSD, then the mon: a
# radosgw whose cluster is already gone hangs on shutdown until SIGKILL.
# kill_ours [TIMEOUT]: per-stage wait before SIGKILL (default STOP_TIMEOUT).
kill_ours() {
  local timeout=${1:-$STOP_TIMEOUT} i pid rest
  for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do
    pid="$(pid_of "${DAEMONS[i]}")"
    [[ -n $pid ]] && is_ours "$pid" && term_and_wait "$timeout" "$pid"
  done
  # Anything left that names our conf (e.g. a daemon without a pid file).
  mapfile -t rest < <(our_pids)
  (( ${#rest[@]} == 0 )) || term_and_wait "$timeout" "${rest[@]}"
}

# ----------------------------------------------------------------- start ---

write_conf() {
  local fsid=$1
  cat >"$CONF" <<EOF
# Generated by scripts/local-s3.sh - throwaway single-node cluster, do not edit.
[global]
fsid = $fsid
mon initial members = a
mon host = v2:127.0.0.1:$MON_PORT
ms bind ipv6 = false

# No cephx: nothing but loopback can reach the daemons.
auth cluster required = none
auth service required = none
auth client required = none
# With auth none, msgr2 clients (radosgw included) hang ~300 s negotiating a
# "secure" session with the mon unless they ask for crc mode.
ms mon client mode = crc

# Keep every file of every daemon inside the state folder.
run dir = $STATE_DIR/run
pid file = $STATE_DIR/run/\$name.pid
admin socket = $STATE_DIR/run/\$name.asok
log file = $STATE_DIR/log/\$name.log
keyring = $STATE_DIR/keyring
mon data = $STATE_DIR/data/\$name
osd data = $STATE_DIR/data/\$name
rgw data = $STATE_DIR/data/\$name
log to stderr = false
err to stderr = true

# One OSD: pools of size one, small PG counts, no mgr needed for autoscaling.
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off

# radosgw creates ~6 pools on first start; with the default paxos propose
# interval (1 s) plus waits, that takes ~16 s instead of ~2 s.
paxos propose interval = 0.05
paxos min wait = 0.01

# Do not refuse to start on a nearly full disk (the data is in RAM anyway).
mon data avail crit = 1

[mon]
# Without this the mon listens on 3300 whatever "mon host" says.
public addr = v2:127.0.0.1:$MON_PORT

[osd]
osd objectstore = memstore
# Otherwise the OSD binds 0.0.0.0.
public addr = 127.0.0.1
cluster addr = 127.0.0.1

[client.rgw.local]
# tcp_nodelay: without it every GetObject of an existing object waits ~40 ms (Nagle + delayed ACK).
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
EOF
}

# Tail of a log (for error messages).
show_log() {
  local f="$STATE_DIR/log/$1.log"
  if [[ -s $f ]]; then log "last lines of $f:"; tail -n 25 "$f" >&2; fi
  f="$STATE_DIR/log/$1.out"
  if [[ -s $f ]]; then log "output of $1:"; tail -n 25 "$f" >&2; fi
}

ceph_cli() { ceph -c "$CONF" --connect-timeout 15 "$@"; }

start() {
  local t0; t0="$(now_ms)"

  if is_running; then
    echo "local S3 already running at $ENDPOINT"
    return 0
  fi

  install_ceph

  # A state folder without a working cluster: kill whatever of it survives, start over.
  if [[ -e $STATE_DIR ]]; then
    log "stale state in $STATE_DIR; wiping it"
    kill_ours 1   # a broken cluster's radosgw ignores SIGTERM: do not wait long
    rm -rf -- "$STATE_DIR"
  fi

  port_in_use "$PORT" && die "127.0.0.1:$PORT is already in use (set LOCAL_S3_PORT)"
  port_in_use "$MON_PORT" && die "127.0.0.1:$MON_PORT is already in use (set LOCAL_S3_MON_PORT)"

  mkdir -p "$STATE_DIR"/{run,log,data/mon.a,data/osd.0,data/client.rgw.local}
  # If anything below fails, leave no half-started daemons behind (the state
  # folder stays for inspection; the next start or stop wipes it).
  trap 'rc=$?; if (( rc != 0 )); then kill_ours 1; log "start failed; logs kept in $STATE_DIR/log"; fi' EXIT

  local fsid; fsid="$(uuidgen)"
  write_conf "$fsid"

  # --- monitor
  # A mon keyring is required by mkfs even with auth disabled.
  ceph-authtool --create-keyring "$STATE_DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$MON_PORT]" "$STATE_DIR/monmap" >/dev/null
  ceph-mon -c "$CONF" -i a --mkfs --monmap "$STATE_DIR/monmap" --keyring "$STATE_DIR/keyring" \
    >"$STATE_DIR/log/mon.a.out" 2>&1 || { show_log mon.a; die "ceph-mon --mkfs failed"; }
  ceph-mon -c "$CONF" -i a >>"$STATE_DIR/log/mon.a.out" 2>&1 || { show_log mon.a; die "ceph-mon failed to start"; }

  # --- OSD (memstore: the "disk" is RAM, nothing to prepare)
  local osd_uuid osd_id
  osd_uuid="$(uuidgen)"
  osd_id="$(ceph_cli osd new "$osd_uuid" 2>>"$STATE_DIR/log/setup.out")" ||
    { show_log mon.a; show_log setup; die "cannot reach the mon on 127.0.0.1:$MON_PORT"; }
  [[ $osd_id == 0 ]] || die "unexpected OSD id '$osd_id'"
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >"$STATE_DIR/log/osd.0.out" 2>&1 ||
    { show_log osd.0; die "ceph-osd --mkfs failed"; }
  ceph-osd -c "$CONF" -i 0 >>"$STATE_DIR/log/osd.0.out" 2>&1 || { show_log osd.0; die "ceph-osd failed to start"; }

  # Wait for the OSD to be marked up, or radosgw's pool creation stalls.
  local i
  for ((i = 0; i < 300; i++)); do
    ceph_cli osd dump 2>/dev/null | grep -q '^osd\.0 up' && break
    sleep 0.1
  done
  (( i < 300 )) || { show_log osd.0; die "OSD did not come up within 30 s"; }

  # --- radosgw
  radosgw -c "$CONF" -n client.rgw.local >"$STATE_DIR/log/client.rgw.local.out" 2>&1 ||
    { show_log client.rgw.local; die "radosgw failed to start"; }

  local deadline=$(( $(date +%s) + READY_TIMEOUT ))
  until s3_answers; do
    if (( $(date +%s) >= deadline )); then
      show_log client.rgw.local
      die "S3 did not answer on $ENDPOINT within ${READY_TIMEOUT} s"
    fi
    if ! rgw_alive; then
      show_log client.rgw.local
      die "radosgw exited during start-up"
    fi
    sleep 0.1
  done

  # --- users (fixed keys; see `env`)
  radosgw-admin -c "$CONF" user create --uid="$MAIN_UID" --display-name="s3lock test" \
    --access-key="$MAIN_ACCESS_KEY" --secret-key="$MAIN_SECRET_KEY" >>"$STATE_DIR/log/setup.out" 2>&1 ||
    { show_log setup; die "creating user $MAIN_UID failed"; }
  # An ordinary user with no rights on the main user's buckets, for least-privilege tests.
  radosgw-admin -c "$CONF" user create --uid="$LIMITED_UID" --display-name="s3lock limited" \
    --access-key="$LIMITED_ACCESS_KEY" --secret-key="$LIMITED_SECRET_KEY" >>"$STATE_DIR/log/setup.out" 2>&1 ||
    { show_log setup; die "creating user $LIMITED_UID failed"; }

  trap - EXIT
  local ms=$(( $(now_ms) - t0 ))
  printf 'local S3 ready at %s (start took %d.%d s)\n' "$ENDPOINT" $((ms / 1000)) $((ms % 1000 / 100))
}

# ------------------------------------------------------------- commands ---

stop() {
  if [[ ! -e $STATE_DIR ]] && [[ -z $(our_pids) ]]; then
    echo "local S3 not running"
    return 0
  fi
  kill_ours
  [[ -z $(our_pids) ]] || die "some daemons would not die: $(our_pids | tr '\n' ' ')"
  rm -rf -- "$STATE_DIR"
  echo "local S3 stopped"
}

status() {
  if is_running; then
    echo "running ($ENDPOINT, state in $STATE_DIR)"
  else
    echo "not running"
    return 1
  fi
}

print_env() {
  cat <<EOF
export S3_ENDPOINT=$ENDPOINT
export AWS_ENDPOINT_URL_S3=$ENDPOINT
export AWS_ACCESS_KEY_ID=$MAIN_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$MAIN_SECRET_KEY
export AWS_REGION=us-east-1
export S3_FORCE_PATH_STYLE=true
export S3_LIMITED_ACCESS_KEY_ID=$LIMITED_ACCESS_KEY
export S3_LIMITED_SECRET_ACCESS_KEY=$LIMITED_SECRET_KEY
EOF
}

usage() {
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&2
  exit 2
}

for p in "$PORT" "$MON_PORT"; do
  [[ $p =~ ^[0-9]+$ ]] && (( p >= 1 && p <= 65535 )) || die "invalid port '$p'"
done

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) print_env ;;
  *) usage ;;
esac
