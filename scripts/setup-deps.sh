#!/usr/bin/env bash
# Installs the system packages Capstan builds, runs and tests with (Debian). Idempotent: does nothing
# when everything is present. Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  protobuf-compiler            # protoc, for the etcd and CRI gRPC clients
  etcd-server etcd-client      # the etcd backend and its tests
  containerd runc containernetworking-plugins   # the node agent's runtime and pod networking
  busybox-static umoci skopeo  # building test images offline
  docker-registry              # a real registry for the image pull tests
  nftables iptables conntrack  # service proxy rules
  python3-kubernetes           # the official Python client, for API tests
  iproute2 procps curl ca-certificates
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

run_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "error: need root to install: ${missing[*]}" >&2; exit 1; fi
}

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  run_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  run_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# kubectl: the tests drive real kubectl. Machines with Google Cloud SDK have many versions; elsewhere
# Debian's kubernetes-client provides one.
if ! command -v kubectl >/dev/null && ! ls /usr/lib/google-cloud-sdk/bin/kubectl.1.* >/dev/null 2>&1; then
  echo "installing kubectl (Debian kubernetes-client)" >&2
  run_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client >&2
fi

if ! command -v cargo >/dev/null; then
  echo "error: cargo is not installed; install Rust (https://rustup.rs) and re-run" >&2
  exit 1
fi
