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
