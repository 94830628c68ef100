"""What a run was measured on: the machine, the load, each server's version and
the command line (the head of RESULTS.md)."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from peers import PEERS_VENV, PROJECT_PY, ROOT_DIR, Peer, nginx_binary, venv_versions

if TYPE_CHECKING:
    import argparse


def _cmd(argv: list[str]) -> str:
    try:
        p = subprocess.run(
            argv, capture_output=True, text=True, timeout=30, cwd=ROOT_DIR, check=False
        )
        return (p.stdout + p.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_model() -> str:
    for line in _cmd(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def mem_total() -> str:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "?"


def ours_version() -> str:
    version = _cmd(
        [str(PROJECT_PY), "-c", "import fastwsgi; print(getattr(fastwsgi, '__version__', '?'))"]
    )
    version = version.splitlines()[-1] if version else "?"
    commit = _cmd(["git", "rev-parse", "--short", "HEAD"])
    if not commit or " " in commit:
        commit = "no commit"
    dirty = (
        " + uncommitted changes"
        if _cmd(["git", "status", "--porcelain", "--", "fastwsgi", "csrc"])
        else ""
    )
    return f"{version} (git {commit}{dirty})"


def peer_versions(peers: list[Peer]) -> dict[str, str]:
    cache: dict[Path, dict[str, str]] = {}
    out: dict[str, str] = {}
    for peer in peers:
        if peer.ours:
            out[peer.name] = ours_version()
        elif peer.floor:
            out[peer.name] = "bench/floor/floor.c, gcc -O2"
        elif peer.reference:
            out[peer.name] = _cmd([nginx_binary(), "-v"]).replace("nginx version: ", "") or "?"
        elif peer.venv is not None and peer.dist:
            if peer.venv not in cache:
                cache[peer.venv] = (
                    venv_versions(peer.venv) if (peer.venv / "bin" / "python").exists() else {}
                )
            versions = cache[peer.venv]
            text = versions.get(peer.dist, "not installed")
            if peer.name.startswith("gunicorn") and peer.dist != "gunicorn":
                text = f"gunicorn {versions.get('gunicorn', '?')} + gunicorn-h1c {text}"
            out[peer.name] = text
    return out


def collect_context(peers: list[Peer], args: argparse.Namespace, started: float) -> dict:
    py = _cmd([str(PEERS_VENV / "bin" / "python"), "-V"]) if PEERS_VENV.exists() else ""
    return {
        "started": started,
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "memory": mem_total(),
        "python": f"ours: {_cmd([str(PROJECT_PY), '-V'])}; peers: {py or '?'}",
        "wrk": _cmd(["wrk", "-v"]).splitlines()[0] if _cmd(["wrk", "-v"]) else "?",
        "loadavg_start": loadavg(),
        "versions": peer_versions(peers),
        "argv": "bench/run.py " + " ".join(_argv_summary(args)),
    }


def _argv_summary(args: argparse.Namespace) -> list[str]:
    out = ["--quick"] if args.quick else []
    if args.peers:
        out.append(f"--peers {args.peers}")
    if args.scenarios:
        out.append(f"--scenarios {args.scenarios}")
    out += [f"--duration {args.duration:g}", f"--warmup {args.warmup:g}", f"--reps {args.reps}"]
    return out
