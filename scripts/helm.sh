#!/usr/bin/env bash
# Prints the path of a pinned Helm 3 binary, building it on first use from the Go module proxy
# (no other download needed): GOBIN=.stack/cache/helm/<version> go install helm.sh/helm/v3/cmd/helm@<version>.
# The binary is cached under .stack/cache/helm (git-ignored), so every later run is instant.
#   bash scripts/helm.sh                 print the path (building it if missing)
#   bash scripts/helm.sh lint deploy/chart/sluice    run helm with these arguments
# Env: SLUICE_HELM_VERSION (default below), SLUICE_STACK_DIR (default .stack), SLUICE_HELM (a helm to use instead).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="${SLUICE_HELM_VERSION:-v3.21.4}"
# SLUICE_HELM: use this helm binary instead (e.g. one already on the machine); nothing is built.
if [ -n "${SLUICE_HELM:-}" ]; then
  if [ $# -eq 0 ]; then echo "$SLUICE_HELM"; exit 0; fi
  exec "$SLUICE_HELM" "$@"
fi
DIR="${SLUICE_STACK_DIR:-$REPO/.stack}/cache/helm/$VERSION"
HELM="$DIR/helm"

if [ ! -x "$HELM" ]; then
  command -v go >/dev/null || { echo "[helm] Go is needed to build helm $VERSION (go install); install Go 1.24+" >&2; exit 1; }
  echo "[helm] building helm $VERSION from the Go module proxy into $DIR (first run only, a few minutes)" >&2
  mkdir -p "$DIR"
  start=$(date +%s)
  tmp="$(mktemp -d "$DIR/.build.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  export GOTOOLCHAIN=local   # use the installed Go, never download another toolchain
  # Helm's Makefile stamps the Kubernetes version its client-go speaks (default capabilities of
  # `helm template`/`helm lint`, e.g. for kubeVersion checks); without it Helm assumes v1.20.
  # Do the same: read client-go's version from helm's go.mod.
  gomod="$(go mod download -json "helm.sh/helm/v3@$VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
  k8s_minor="$(sed -n 's/^[[:space:]]*k8s\.io\/client-go v0\.\([0-9][0-9]*\)\..*/\1/p' "$gomod" | head -n1)"
  [ -n "$k8s_minor" ] || { echo "[helm] could not read client-go's version from $gomod" >&2; exit 1; }
  ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$VERSION"
  for pkg in pkg/lint/rules pkg/chartutil; do
    ldflags="$ldflags -X helm.sh/helm/v3/$pkg.k8sVersionMajor=1 -X helm.sh/helm/v3/$pkg.k8sVersionMinor=$k8s_minor"
  done
  # -trimpath and -s -w: a smaller binary and a faster link
  CGO_ENABLED=0 GOBIN="$tmp" go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$VERSION" >&2
  mv "$tmp/helm" "$HELM"   # atomic: a half-built binary is never taken for the cached one
  rm -rf "$tmp"; trap - EXIT
  echo "[helm] built $HELM in $(( $(date +%s) - start ))s" >&2
fi

if [ $# -eq 0 ]; then
  echo "$HELM"
else
  exec "$HELM" "$@"
fi
