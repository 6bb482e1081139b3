#!/usr/bin/env python3
"""A current ClickHouse server from PyPI chdb-core: its embedded clickhouse-local, listening.

    clickhouse-current.py CHDB_DIR WORK_DIR

CHDB_DIR holds the `chdb` package (pip install --target). WORK_DIR must hold the config.xml
that stack.sh writes: clickhouse-local reads the config.xml of its working directory, and
without one it would listen on 8123/9000, the ports of another server. So this refuses to
start unless config.xml names listen_host, http_port, tcp_port and path (the data directory).

Since 26.7 clickhouse-local accepts SYSTEM START LISTEN HTTP/TCP; the listeners live as long
as the query that started them, so the last statement is a query that never ends (it sleeps,
one row a second, and shows in system.processes). Users come from the users_config file
(clickhouse-local has no SQL user management) and there is no Keeper. SIGTERM ends the
process; data written before is on disk (an Atomic database's MergeTree parts).
"""
import os
import sys
import xml.etree.ElementTree as ET

REQUIRED = ("listen_host", "http_port", "tcp_port", "path")
KEEP_LISTENING = (
    "SELECT /* sluice stack: holds the HTTP and TCP listeners open */ count() "
    "FROM system.numbers WHERE sleepEachRow(1) SETTINGS max_block_size = 1"
)


def fail(msg: str) -> None:
    print(f"clickhouse-current.py: {msg}", file=sys.stderr, flush=True)
    sys.exit(2)


def read_config(work_dir: str) -> dict:
    cfg = os.path.join(work_dir, "config.xml")
    if not os.path.isfile(cfg):
        fail(f"no config.xml in {work_dir}: refusing to start (clickhouse-local would listen on 8123/9000)")
    try:
        root = ET.parse(cfg).getroot()
    except ET.ParseError as e:
        fail(f"{cfg} is not valid XML: {e}")
    values = {k: (root.findtext(k) or "").strip() for k in REQUIRED}
    missing = [k for k, v in values.items() if not v]
    if missing:
        fail(f"{cfg} lacks {', '.join('<' + k + '>' for k in missing)}: refusing to start")
    return values


def main() -> None:
    if len(sys.argv) != 3:
        fail("usage: clickhouse-current.py CHDB_DIR WORK_DIR")
    chdb_dir, work_dir = (os.path.abspath(a) for a in sys.argv[1:])
    cfg = read_config(work_dir)
    os.makedirs(cfg["path"], exist_ok=True)
    os.chdir(work_dir)
    sys.path.insert(0, chdb_dir)
    import chdb  # noqa: E402  (imported here: it reads config.xml from the working directory)

    print(f"clickhouse {chdb.engine_version} (chdb-core {chdb.__version__}): starting listeners on "
          f"{cfg['listen_host']} http {cfg['http_port']} tcp {cfg['tcp_port']}, data {cfg['path']}", flush=True)
    chdb._chdb.query(f"SYSTEM START LISTEN HTTP; SYSTEM START LISTEN TCP; {KEEP_LISTENING}", "TabSeparated", path=cfg["path"])
    fail("stopped: the listeners did not start (see the error above) or the keep-alive query ended")


if __name__ == "__main__":
    main()
