#!/usr/bin/env bash
# Make sure the tools that check the operator files under deploy/ are installed, for
# tests/deploy.rs and tests/monitoring.rs:
# - prometheus and promtool (Debian's `prometheus` package; its service is not
#   started by this script, the tests run their own Prometheus on a free port);
# - systemd-analyze (Debian's `systemd` package);
# - kubernetes-validate (PyPI; it bundles the Kubernetes JSON schemas, so it validates
#   offline), in a virtualenv under ~/.cache/certyo-queue/ops-venv.
# Idempotent: whatever is already there is reused (a second run takes a second).
# Everything it says goes to stderr.
#
# Settings: CERTYO_OPS_VENV (the virtualenv; default ~/.cache/certyo-queue/ops-venv),
# CERTYO_KUBERNETES_VALIDATE_VERSION (1.37.0).
set -euo pipefail

VENV="${CERTYO_OPS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/certyo-queue/ops-venv}"
KV_VERSION="${CERTYO_KUBERNETES_VALIDATE_VERSION:-1.37.0}"

log() { echo "ensure-ops-tools: $*" >&2; }
die() { log "$*"; exit 1; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

apt_packages=()
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 \
  || apt_packages+=(prometheus)
command -v systemd-analyze >/dev/null 2>&1 || apt_packages+=(systemd)
if [ "${#apt_packages[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 \
    || die "missing ${apt_packages[*]} and no apt-get: install Prometheus (promtool) and systemd-analyze by hand"
  log "installing ${apt_packages[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >&2
fi

installed_kv=""
if [ -x "$VENV/bin/kubernetes-validate" ]; then
  installed_kv="$("$VENV/bin/pip" show kubernetes-validate 2>/dev/null | sed -n 's/^Version: //p')"
fi
if [ "$installed_kv" != "$KV_VERSION" ]; then
  if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    command -v apt-get >/dev/null 2>&1 || die "python3 with venv not found: install python3 and python3-venv"
    log "installing python3 and python3-venv (Debian packages)"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >&2
    $SUDO apt-get install -y -qq --no-install-recommends python3 python3-venv >&2
  fi
  log "installing kubernetes-validate $KV_VERSION (PyPI) into $VENV"
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV" >&2 || die "python3 -m venv $VENV failed"
  "$VENV/bin/pip" install -q --disable-pip-version-check "kubernetes-validate==$KV_VERSION" >&2
fi

log "promtool: $(command -v promtool); prometheus: $(command -v prometheus); systemd-analyze: $(command -v systemd-analyze); kubernetes-validate: $VENV/bin/kubernetes-validate"
