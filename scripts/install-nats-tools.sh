#!/usr/bin/env bash
# Install the pinned reference tools used by the integration tests:
#   - nats-server (the Go reference server the suite is proven against)
#   - natscli (`nats`, used by the CLI smoke test)
# into $(go env GOPATH)/bin with `go install MODULE@VERSION`. Idempotent: a tool that is already
# there at the pinned version is left alone. Go is tooling only; Myelin does not depend on it.
#
# Usage: scripts/install-nats-tools.sh
# Then:  NATS_SERVER_BIN="$(go env GOPATH)/bin/nats-server" node --test --test-concurrency=1 dist/test/...
set -euo pipefail

NATS_SERVER_MODULE="github.com/nats-io/nats-server/v2"
NATS_SERVER_VERSION="v2.12.15"
NATSCLI_MODULE="github.com/nats-io/natscli/nats"
NATSCLI_VERSION="v0.4.0"

if ! command -v go >/dev/null 2>&1; then
  echo "install-nats-tools: 'go' is not on PATH; install Go first" >&2
  exit 1
fi

GOPATH_DIR="$(go env GOPATH)"
# GOPATH may be a list; go install uses the first entry.
GOPATH_DIR="${GOPATH_DIR%%:*}"
BIN_DIR="${GOPATH_DIR}/bin"
mkdir -p "${BIN_DIR}"

# installed_version BINARY -> prints the module version the binary was built from (e.g. v2.12.15), or nothing.
installed_version() {
  local bin="$1"
  [ -x "${bin}" ] || return 0
  go version -m "${bin}" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
}

install_tool() {
  local name="$1" module="$2" version="$3"
  local bin="${BIN_DIR}/${name}"
  local have
  have="$(installed_version "${bin}")"
  if [ "${have}" = "${version}" ]; then
    echo "install-nats-tools: ${name} ${version} already installed"
  else
    echo "install-nats-tools: installing ${module}@${version}${have:+ (found ${have})}"
    GOBIN="${BIN_DIR}" go install "${module}@${version}"
    have="$(installed_version "${bin}")"
    if [ "${have}" != "${version}" ]; then
      echo "install-nats-tools: ${bin} reports version '${have}', expected ${version}" >&2
      exit 1
    fi
  fi
}

install_tool nats-server "${NATS_SERVER_MODULE}" "${NATS_SERVER_VERSION}"
install_tool nats "${NATSCLI_MODULE}" "${NATSCLI_VERSION}"

echo "NATS_SERVER_BIN=${BIN_DIR}/nats-server"
echo "NATS_CLI_BIN=${BIN_DIR}/nats"
