#!/usr/bin/env bash
# Creates the benchmark peers' virtual environments, idempotently:
#   bench/.venv-peers           every peer of requirements-peers.txt (+ Flask, matplotlib)
#   bench/.venv-fastwsgi-pypi   the PyPI "fastwsgi" 0.0.9 (its import name clashes with ours)
# builds the kernel floor bench/floor/floor (a C responder, see floor.c),
# and installs wrk and nginx with apt-get when they are missing.
# Each package is installed on its own; the outcome of each is written to
# <venv>/install-status.tsv (name, "ok" or "failed", last error line), which run.py reports.
# Environment: PEER_PYTHON (base interpreter; default: the project venv's base interpreter).
set -u -o pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT_DIR="$(dirname "$BENCH_DIR")"
PEERS_VENV="$BENCH_DIR/.venv-peers"
PYPI_VENV="$BENCH_DIR/.venv-fastwsgi-pypi"
REQS="$BENCH_DIR/requirements-peers.txt"

log() { printf '[setup_peers] %s\n' "$*" >&2; }

base_python() {
    if [[ -n "${PEER_PYTHON:-}" ]]; then
        echo "$PEER_PYTHON"
    elif [[ -x "$ROOT_DIR/.venv/bin/python" ]]; then
        "$ROOT_DIR/.venv/bin/python" -c 'import sys; print(sys._base_executable)'
    else
        command -v python3
    fi
}

ensure_apt_tools() {
    local missing=()
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
    # bjoern builds against libev
    [[ -e /usr/include/ev.h ]] || missing+=(libev-dev)
    # the io_uring mode of the kernel floor (bench/floor/floor.c)
    [[ -e /usr/include/liburing.h ]] || missing+=(liburing-dev)
    if ((${#missing[@]})); then
        log "apt-get install ${missing[*]}"
        if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
        $SUDO apt-get update -q >/dev/null 2>&1 || log "apt-get update failed"
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
            || log "apt-get install ${missing[*]} failed"
    fi
}

make_venv() {
    local venv="$1"
    if [[ ! -x "$venv/bin/python" ]]; then
        log "creating $venv"
        "$(base_python)" -m venv "$venv" || { log "cannot create $venv"; return 1; }
    fi
}

# pip_install VENV SPEC...: installs unless the stamp says SPEC is already installed ok.
pip_install() {
    local venv="$1"; shift
    local spec="$*"
    local status="$venv/install-status.tsv"
    touch "$status"
    if grep -qxF "$spec	ok	" "$status"; then
        return 0
    fi
    log "pip install $spec  ($(basename "$venv"))"
    local out rc
    out="$("$venv/bin/pip" install -q --disable-pip-version-check "$@" 2>&1)"
    rc=$?
    out="$(printf '%s\n' "$out" | grep -v '^WARNING: Location' || true)"
    grep -vF "$spec	" "$status" > "$status.tmp" || true
    if [[ $rc -eq 0 ]]; then
        printf '%s\tok\t\n' "$spec" >> "$status.tmp"
    else
        local reason
        reason="$(printf '%s\n' "$out" | grep -E 'error|Error|ERROR' | tail -n 1 | tr '\t' ' ')"
        [[ -n "$reason" ]] || reason="$(printf '%s\n' "$out" | tail -n 1 | tr '\t' ' ')"
        printf '%s\tfailed\t%s\n' "$spec" "$reason" >> "$status.tmp"
        log "FAILED: $spec: $reason"
    fi
    mv "$status.tmp" "$status"
}

# The kernel floor (bench/floor/floor.c): with its io_uring mode when liburing is there.
build_floor() {
    local src="$BENCH_DIR/floor/floor.c" bin="$BENCH_DIR/floor/floor"
    [[ -x "$bin" && "$bin" -nt "$src" ]] && return 0
    if [[ -e /usr/include/liburing.h ]] \
        && gcc -O2 -o "$bin" "$src" -DWITH_URING -luring 2>/dev/null; then
        log "built bench/floor/floor (epoll, io_uring)"
    elif gcc -O2 -o "$bin" "$src"; then
        log "built bench/floor/floor (epoll only: liburing-dev is missing)"
    else
        log "FAILED: cannot build bench/floor/floor"
    fi
}

main() {
    ensure_apt_tools
    build_floor
    make_venv "$PEERS_VENV" || exit 1
    local line
    while IFS= read -r line; do
        line="${line%%#*}"; line="${line//[[:space:]]/}"
        [[ -n "$line" ]] && pip_install "$PEERS_VENV" "$line"
    done < "$REQS"

    make_venv "$PYPI_VENV" || exit 1
    # fastwsgi 0.0.9 imports pkg_resources, which setuptools 81 removed
    pip_install "$PYPI_VENV" "setuptools<81"
    pip_install "$PYPI_VENV" "fastwsgi==0.0.9"
    pip_install "$PYPI_VENV" "flask==3.1.3"
    log "done"
}

main "$@"
