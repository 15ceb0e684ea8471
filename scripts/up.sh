#!/usr/bin/env bash
# Brings up a single-node Capstan cluster on this machine: installs what it needs (Debian), builds
# the release binary, starts `capstan server` in the background and tells you how to use kubectl.
#   CAPSTAN_DATA_DIR  where state lives (default /var/lib/capstan)
#   CAPSTAN_PORT      API server port (default 6443)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh

data_dir=${CAPSTAN_DATA_DIR:-/var/lib/capstan}
port=${CAPSTAN_PORT:-6443}
echo "building capstan (release; the first build takes several minutes)..." >&2
cargo build --release -p capstan
mkdir -p "$data_dir"

pidfile="$data_dir/capstan.pid"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "capstan is already running (pid $(cat "$pidfile")); stop it with: kill $(cat "$pidfile")" >&2
else
  nohup target/release/capstan server --data-dir "$data_dir" --https-port "$port" \
    >"$data_dir/server.log" 2>&1 &
  echo $! >"$pidfile"
fi

kubeconfig="$data_dir/admin.kubeconfig"
for _ in $(seq 1 100); do
  if [ -f "$kubeconfig" ] && KUBECONFIG="$kubeconfig" kubectl get --raw /readyz >/dev/null 2>&1; then
    cat <<MSG
Capstan is running (pid $(cat "$pidfile"), log: $data_dir/server.log).
Point kubectl at it:
  export KUBECONFIG=$kubeconfig
  kubectl get namespaces
Stop it with: kill $(cat "$pidfile")
MSG
    exit 0
  fi
  sleep 0.2
done
echo "capstan did not become ready; see $data_dir/server.log:" >&2
tail -20 "$data_dir/server.log" >&2
exit 1
