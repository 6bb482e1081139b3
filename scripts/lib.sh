# Shared by the npm scripts: dependencies, build, and the Sluice processes (api, worker).
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK_DIR="${SLUICE_STACK_DIR:-$REPO/.stack}"
cd "$REPO"

ensure_deps() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "[sluice] installing npm packages (npm ci)" >&2
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

# the browser of the browser tests (playwright-core drives it): Debian's chromium
ensure_chromium() {
  [ -x "${SLUICE_CHROMIUM:-/usr/bin/chromium}" ] && return
  echo "[sluice] installing Debian chromium (for the browser tests)" >&2
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq chromium >/dev/null 2>&1 || { $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium >/dev/null; }
}

build() {
  echo "[sluice] compiling TypeScript" >&2
  npm run --silent build
}

# start_app NAME SCRIPT: a Sluice process in the background, pid in .stack/run, log in .stack/logs
start_app() {
  local name="$1" script="$2" pidf="$STACK_DIR/run/$1.pid"
  mkdir -p "$STACK_DIR/run" "$STACK_DIR/logs"
  if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
    echo "[sluice] $name: already running (pid $(cat "$pidf"))" >&2
    return
  fi
  setsid nohup node --enable-source-maps "$script" >>"$STACK_DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$pidf"
  echo "[sluice] $name: started (pid $!, log $STACK_DIR/logs/$name.log)" >&2
}
