"""Writes a run's results: RESULTS.md, a summary CSV, a per-run CSV and a PNG plot."""

from __future__ import annotations

import csv
import statistics
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from peers import (
    BENCH_DIR,
    NGINX_CONF,
    NGINX_LOCATION,
    PEERS_VENV,
    ROOT_DIR,
    Peer,
)

if TYPE_CHECKING:
    import argparse

    from run import RunResult
    from scenarios import Scenario

METRICS = (
    "rps",
    "cpu_us_per_req",
    "cpu_share",
    "core_busy",
    "mb_per_s",
    "lat_p99_ms",
    "rss_peak_kib",
    "rss_worker_kib",
    "wrk_cpu_share",
)


@dataclass
class Summary:
    peer: str
    scenario: str
    runs: int
    ok_runs: int
    status: str  # "ok", or why no run scored
    median: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]
    socket_errors: int
    note: str


# ---------------------------------------------------------------- summaries


def summarise(
    results: list[RunResult], peers: list[Peer], scenarios: list[Scenario]
) -> list[Summary]:
    out = []
    for scenario in scenarios:
        for peer in peers:
            runs = [r for r in results if r.peer == peer.name and r.scenario == scenario.name]
            out.append(_summary(peer.name, scenario.name, runs))
    return out


def _summary(peer: str, scenario: str, runs: list[RunResult]) -> Summary:
    good = [r for r in runs if r.ok]
    failed = [r for r in runs if not r.ok]
    median: dict[str, float] = {}
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    for m in METRICS:
        values = [getattr(r, m) for r in good]
        if values:
            median[m], low[m], high[m] = statistics.median(values), min(values), max(values)
    status = "ok" if good else (failed[0].status if failed else "not run")
    note = ""
    if good and failed:
        note = f"{len(failed)} of {len(runs)} runs scored nothing: {failed[0].status}"
    kinds = [r.error_kinds for r in good if r.error_kinds]
    if kinds:
        note = (note + "; " if note else "") + f"socket errors ({kinds[0]} in one run)"
    wrappers = {r.file_wrapper for r in good if r.file_wrapper}
    if "fallback" in wrappers:
        note = (note + "; " if note else "") + "no wsgi.file_wrapper: plain iterator used"
    return Summary(
        peer,
        scenario,
        len(runs),
        len(good),
        status,
        median,
        low,
        high,
        sum(r.socket_errors for r in good),
        note,
    )


def _index(summaries: list[Summary]) -> dict[tuple[str, str], Summary]:
    return {(s.peer, s.scenario): s for s in summaries}


# ---------------------------------------------------------------- formatting


def _fmt(value: float, kind: str) -> str:
    if kind == "rps":
        return f"{value:,.0f}"
    if kind in ("cpu_share", "wrk_cpu_share", "core_busy"):
        return f"{value:.0%}"
    if kind in ("rss_peak_kib", "rss_worker_kib"):
        return f"{value / 1024:.1f}"
    if kind == "mb_per_s":
        return f"{value:,.0f}"
    if kind == "cpu_us_per_req":
        return f"{value:.2f}" if value < 10 else f"{value:.1f}"
    return f"{value:.2f}"


def _cell(s: Summary | None, metric: str, spread: bool = True) -> str:
    if s is None:
        return ""
    if metric not in s.median:
        return _short_status(s.status)
    text = _fmt(s.median[metric], metric)
    if spread and s.ok_runs > 1:
        text += f" ({_fmt(s.low[metric], metric)}–{_fmt(s.high[metric], metric)})"
    if s.ok_runs < s.runs:
        text += f" [{s.ok_runs}/{s.runs}]"
    return text


def _clip(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short_status(status: str) -> str:
    for prefix, short in (
        ("n/a", "n/a"),
        ("not installed", "not installed"),
        ("did not serve", "did not serve"),
        ("wrong response", "WRONG RESPONSE"),
        ("wrong responses", "WRONG RESPONSES"),
        ("crashed", "crashed"),
        ("no request", "no requests"),
        ("run failed", "failed"),
    ):
        if status.startswith(prefix):
            return short
    return status[:30]


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def _matrix(
    idx: dict,
    peers: list[Peer],
    scenarios: list[Scenario],
    metric: str,
    keep: Callable[[Scenario], bool] = lambda s: True,
) -> list[str]:
    cols = [s for s in scenarios if keep(s)]
    return _table(
        ["server"] + [s.name for s in cols],
        ([p.name] + [_cell(idx.get((p.name, s.name)), metric) for s in cols] for p in peers),
    )


def _ratio_rows(
    idx: dict, peers: list[Peer], scenarios: list[Scenario], ours: str
) -> list[list[str]]:
    rows = []
    for peer in peers:
        if peer.name == ours:
            continue
        row = [peer.name]
        for s in scenarios:
            mine, theirs = idx.get((ours, s.name)), idx.get((peer.name, s.name))
            if (
                not mine
                or not theirs
                or "cpu_us_per_req" not in mine.median
                or "cpu_us_per_req" not in theirs.median
            ):
                row.append("–")
                continue
            cpu = theirs.median["cpu_us_per_req"] / mine.median["cpu_us_per_req"]
            rps = (
                mine.median["rps"] / theirs.median["rps"] if theirs.median["rps"] else float("nan")
            )
            row.append(f"{cpu:.2f}× / {rps:.2f}×")
        rows.append(row)
    return rows


def versus_best_peer(idx: dict, peers: list[Peer], scenarios: list[tuple[str, str]]) -> list[str]:
    """A table with one row per scenario (name, title): our CPU per request and
    req/s, the WSGI peer with the lowest CPU per request, our ratio to it, the
    reference server (nginx), and the kernel floor (bench/floor) if it ran."""
    ours = next(p.name for p in peers if p.ours)
    reference = next((p.name for p in peers if p.reference), None)
    floor = next((p.name for p in peers if p.floor == "epoll"
                  and any((p.name, name) in idx for name, _ in scenarios)), None)

    def figures(peer: str | None, scenario: str) -> str:
        s = idx.get((peer, scenario))
        if s is None or "cpu_us_per_req" not in s.median:
            return "–" if s is None else _short_status(s.status)
        return f"{_fmt(s.median['cpu_us_per_req'], 'cpu_us_per_req')} · {_fmt(s.median['rps'], 'rps')}"

    rows = []
    for name, title in scenarios:
        scored = [(idx[(p.name, name)].median["cpu_us_per_req"], p.name) for p in peers
                  if not p.ours and not p.reference and not p.floor and (p.name, name) in idx
                  and "cpu_us_per_req" in idx[(p.name, name)].median]
        mine = idx.get((ours, name))
        if scored and mine is not None and "cpu_us_per_req" in mine.median:
            best_cpu, best = min(scored)
            ratio = f"{mine.median['cpu_us_per_req'] / best_cpu:.2f}"
        else:
            best, ratio = None, "–"
        rows.append([title, figures(ours, name),
                     f"{best}: {figures(best, name)}" if best else "–", ratio,
                     figures(reference, name) if reference else "–"]
                    + ([figures(floor, name)] if floor else []))
    return _table(["scenario", f"{ours} µs/req · req/s", "best WSGI peer µs/req · req/s",
                   f"{ours} ÷ best peer (CPU/req)",
                   f"{reference} µs/req · req/s" if reference else "reference"]
                  + ([f"kernel floor ({floor}) µs/req · req/s"] if floor else []), rows)


# ---------------------------------------------------------------- RESULTS.md


def render_markdown(
    summaries: list[Summary],
    peers: list[Peer],
    scenarios: list[Scenario],
    missing: dict[str, str],
    commands: dict,
    context: dict,
    args: argparse.Namespace,
    names: dict[str, str],
) -> str:
    idx = _index(summaries)
    ours = next((p.name for p in peers if p.ours), None)
    started = time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(context["started"]))
    took = context["finished"] - context["started"]
    out: list[str] = [
        "# fastwsgi benchmark results" + (" (quick mode)" if args.quick else ""),
        "",
        f"- Date: {started}; the run took {took / 60:.1f} min.",
        (
            f"- Command: `.venv/bin/python {context['argv']}` — {args.reps} repetitions, "
            f"{args.duration:g} s measured "
            f"after {args.warmup:g} s of warm-up, every run on a freshly started server, servers "
            "round-robin within "
            "each repetition."
        ),
        (
            f"- Machine: {context['cpu']}, {context['cores']} cores, {context['memory']}, kernel "
            f"{context['kernel']}. "
            f"Load average at start {context['loadavg_start']}, at end {context['loadavg_end']} "
            "(other work shares this machine: compare figures only within one run)."
        ),
        f"- Python: {context['python']}. Load generator: {context['wrk']}.",
        (
            "- Pinning: server on CPU 1 (`taskset -c 1`), wrk on CPU 0 (`taskset -c 0 wrk -t1`), "
            "except `workers2`."
        ),
        (
            "- Every figure is the median over the runs that scored, with (min–max); `[k/n]` means "
            "only k of n runs "
            "scored. A run scores nothing if the check request before it (status, full body "
            "SHA-256; for `pipelined` "
            "also 16 pipelined requests on one connection) or any response during it was wrong: "
            "wrk's `response()` "
            "hook checks status 200 and body length of every response; for the MiB-sized bodies "
            "(where that hook "
            "would make wrk the bottleneck) wrk's own status-error count must be 0 and the bytes "
            "received at least "
            "responses × body length."
        ),
        (
            "- Columns: *server core* = the tree's CPU seconds / wall seconds; *CPU busy* = how "
            "busy the server's "
            "CPU was per /proc/stat (softirq network work and any other process included; all "
            "CPUs, in cores, for "
            "`workers2`); *wrk core* = the load generator's CPU share (near 100%: the client was "
            "the limit, so "
            "req/s understates the server, CPU/request does not)."
        ),
        "",
        f"## Summary: {ours} against the best peer in each scenario",
        "",
        (
            "Server CPU time per request (µs, median) · requests per second; the best peer is "
            "the WSGI server with the lowest CPU per request in that scenario; a ratio below 1 "
            f"means {ours} costs less."
        ),
        "",
        *versus_best_peer(idx, peers, [(sc.name, sc.title) for sc in scenarios]),
        "",
        "## Headline: server CPU time per request (µs, lower is better)",
        "",
        (
            "utime+stime of the server's whole process tree (from `/proc/<pid>/stat` of every "
            "process in it, "
            "before and after the measured window) divided by the requests wrk completed."
        ),
        "",
        *_matrix(idx, peers, scenarios, "cpu_us_per_req"),
        "",
        "## Requests per second",
        "",
        *_matrix(idx, peers, scenarios, "rps"),
        "",
        "## Share of a core the server used (CPU seconds / wall seconds)",
        "",
        *_matrix(idx, peers, scenarios, "cpu_share"),
        "",
    ]
    if any(s.throughput for s in scenarios):
        out += [
            "## Throughput of the large responses (MB/s of response bytes received by wrk)",
            "",
            *_matrix(idx, peers, scenarios, "mb_per_s", lambda s: s.throughput),
            "",
        ]
    if any(s.name == "plaintext" for s in scenarios):
        out += [
            "## Peak RSS in the plaintext run (MiB, VmHWM)",
            "",
            *_table(
                ["server", "whole process tree", "one worker (largest child, else the process)"],
                ([p.name, _cell(idx.get((p.name, "plaintext")), "rss_peak_kib"),
                  _cell(idx.get((p.name, "plaintext")), "rss_worker_kib")] for p in peers),
            ),
            "",
        ]
    if ours and any(p.name != ours for p in peers):
        out += [
            f"## {ours}'s ratio to every peer (same run)",
            "",
            (
                f"Each cell: *peer's CPU per request ÷ {ours}'s* / *{ours}'s req/s ÷ peer's*. "
                f"Above 1× means {ours} is cheaper / faster."
            ),
            "",
            *_table(
                ["peer"] + [s.name for s in scenarios], _ratio_rows(idx, peers, scenarios, ours)
            ),
            "",
        ]
    out += _servers_section(summaries, peers, missing, context)
    out += _detail_section(idx, peers, scenarios)
    out += _commands_section(peers, scenarios, commands)
    out += [
        "## Files",
        "",
        f"- `{names['csv']}`: the table above, one row per server and scenario (median, min, max).",
        f"- `{names['runs']}`: every run.",
        f"- `{names['png']}`: plot of the CPU-per-request and req/s tables.",
        "",
    ]
    return "\n".join(out)


def _servers_section(
    summaries: list[Summary], peers: list[Peer], missing: dict[str, str], context: dict
) -> list[str]:
    rows = []
    for peer in peers:
        mine = [s for s in summaries if s.peer == peer.name]
        scored = sum(s.ok_runs for s in mine)
        total = sum(s.runs for s in mine)
        if peer.name in missing:
            state = f"did not install: {missing[peer.name]}"
        elif scored == 0:
            state = f"did not serve: {next((s.status for s in mine if s.status != 'ok'), '?')}"
        else:
            problems = sorted(
                {
                    f"{s.scenario}: {_clip(s.status if s.ok_runs == 0 else s.note, 160)}"
                    for s in mine
                    if (s.ok_runs == 0 and not s.status.startswith("n/a")) or s.note
                }
            )
            state = f"served; {scored}/{total} runs scored" + (
                "; " + "; ".join(problems) if problems else ""
            )
        rows.append(
            [
                peer.name,
                context["versions"].get(peer.name, "?"),
                peer.description,
                _clip(state, 900),
            ]
        )
    return [
        "## Servers: versions, installed, served",
        "",
        *_table(["server", "version", "what", "outcome"], rows),
        "",
    ]


def _detail_section(idx: dict, peers: list[Peer], scenarios: list[Scenario]) -> list[str]:
    out = ["## Per scenario", ""]
    for s in scenarios:
        out += [f"### {s.name}: {s.title}", "", s.what, ""]
        rows = []
        for p in peers:
            summ = idx.get((p.name, s.name))
            if summ is None:
                continue
            if not summ.median:
                rows.append([p.name, _clip(summ.status), "", "", "", "", "", "", ""])
                continue
            rows.append(
                [
                    p.name,
                    _cell(summ, "cpu_us_per_req"),
                    _cell(summ, "rps"),
                    _cell(summ, "cpu_share", False),
                    _cell(summ, "core_busy", False),
                    _cell(summ, "mb_per_s", False) if s.throughput else "",
                    _cell(summ, "lat_p99_ms", False) if s.pipeline == 1 else "",
                    str(summ.socket_errors),
                    _cell(summ, "wrk_cpu_share", False)
                    + (f"; {_clip(summ.note)}" if summ.note else ""),
                ]
            )
        out += _table(
            [
                "server",
                "CPU µs/req",
                "req/s",
                "server core",
                "CPU busy",
                "MB/s",
                "p99 ms",
                "socket errors",
                "wrk core; notes",
            ],
            rows,
        )
        out.append("")
    return out


def _relative(cmd: str | None) -> str | None:
    return cmd.replace(f"{ROOT_DIR}/", "") if cmd else cmd


def _nginx_conf_template() -> str:
    return NGINX_CONF.format(
        workers="$WORKERS", tmp="$TMP", host="127.0.0.1", port="$PORT", location="$LOCATION"
    ).strip()


def _commands_section(peers: list[Peer], scenarios: list[Scenario], commands: dict) -> list[str]:
    out = [
        "## Exact commands",
        "",
        (
            "`$PORT` is a free ephemeral port picked per run, `$TMP` a temp dir per run. Peers run "
            "from `bench/` "
            "with `PYTHONPATH=bench` (apps imported as `apps.$APP`, `$APP` being the scenario's "
            "module in "
            "`bench/apps/`); fastwsgi runs from the repository root. The second line of a server, "
            "if any, is its "
            "`workers2` form (2 workers, not pinned)."
        ),
        "",
    ]
    for peer in peers:
        seen: list[str] = []
        for s in scenarios:
            cmd = _relative(commands.get(("server", peer.name, s.name)))
            cmd = cmd and cmd.replace(f"apps.{s.app}:app", "apps.$APP:app")
            if cmd and cmd not in seen:
                seen.append(cmd)
        if seen:
            out.append(f"- **{peer.name}**:")
            out += [f"  - `{cmd}`" for cmd in seen]
    out += [
        "",
        (
            "nginx.conf (`$WORKERS` 1, or 2 in `workers2`; `$LOCATION` per app returns the same "
            "bytes as "
            "the WSGI app, `{data}` being the data dir of the generated files):"
        ),
        "",
        "```nginx",
        _nginx_conf_template(),
        "```",
        "",
        "`location` bodies:",
        "",
        *[f"- `{app}`: `{text}`" for app, text in NGINX_LOCATION.items()],
        "",
        ("wrk, per scenario (environment variables parameterise `bench/wrk/bench.lua`):"),
        "",
    ]
    for s in scenarios:
        cmd = _relative(commands.get(("wrk", s.name)))
        if cmd:
            env = " ".join(f"{k}={v}" for k, v in s.env().items())
            out.append(f"- {s.name}: `{env} {cmd}`")
    out.append("")
    return out


# ---------------------------------------------------------------- CSV and plot


def write_summary_csv(path: Path, summaries: list[Summary]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        header = ["server", "scenario", "runs", "scored_runs", "status", "socket_errors", "note"]
        for m in METRICS:
            header += [f"{m}_median", f"{m}_min", f"{m}_max"]
        w.writerow(header)
        for s in summaries:
            row: list = [s.peer, s.scenario, s.runs, s.ok_runs, s.status, s.socket_errors, s.note]
            for m in METRICS:
                row += [_num(s.median.get(m)), _num(s.low.get(m)), _num(s.high.get(m))]
            w.writerow(row)


def read_summary_csv(path: Path) -> list[Summary]:
    """The summaries write_summary_csv wrote."""
    out = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            stats: dict[str, dict[str, float]] = {"median": {}, "min": {}, "max": {}}
            for m in METRICS:
                for kind, values in stats.items():
                    if row.get(f"{m}_{kind}"):
                        values[m] = float(row[f"{m}_{kind}"])
            out.append(Summary(row["server"], row["scenario"], int(row["runs"]),
                               int(row["scored_runs"]), row["status"], stats["median"],
                               stats["min"], stats["max"], int(row["socket_errors"] or 0),
                               row["note"]))
    return out


def _num(v: float | None) -> str:
    return "" if v is None else f"{v:.6g}"


def write_runs_csv(path: Path, results: list[RunResult]) -> None:
    if not results:
        return
    names = [f.name for f in fields(results[0])]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=names)
        w.writeheader()
        for r in results:
            w.writerow(asdict(r))


def plot(csv_path: Path, png_path: Path, title: str) -> bool:
    """Draw with matplotlib from the peers' venv (the project venv does not carry it)."""
    python = PEERS_VENV / "bin" / "python"
    if not python.exists():
        return False
    p = subprocess.run(
        [str(python), str(BENCH_DIR / "plot.py"), str(csv_path), str(png_path), title],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if p.returncode != 0:
        print(f"plot failed: {p.stderr.strip()[-500:]}")
    return p.returncode == 0


def output_names(args: argparse.Namespace) -> dict[str, str]:
    suffix = "-quick" if args.quick else ""
    if args.out:
        base = Path(args.out).name
        return {
            "md": f"{base}.md",
            "csv": f"{base}.csv",
            "runs": f"{base}-runs.csv",
            "png": f"{base}.png",
        }
    return {
        "md": f"RESULTS{suffix}.md",
        "csv": f"results{suffix}.csv",
        "runs": f"results{suffix}-runs.csv",
        "png": f"results{suffix}.png",
    }


def write_all(
    results: list[RunResult],
    peers: list[Peer],
    scenarios: list[Scenario],
    missing: dict[str, str],
    commands: dict,
    context: dict,
    args: argparse.Namespace,
) -> list[Path]:
    names = output_names(args)
    folder = Path(args.out).parent.resolve() if args.out else BENCH_DIR
    folder.mkdir(parents=True, exist_ok=True)
    summaries = summarise(results, peers, scenarios)
    paths = [folder / names["csv"], folder / names["runs"]]
    write_summary_csv(paths[0], summaries)
    write_runs_csv(paths[1], results)
    if plot(
        paths[0],
        folder / names["png"],
        f"fastwsgi benchmark {time.strftime('%Y-%m-%d')}" + (" (quick)" if args.quick else ""),
    ):
        paths.append(folder / names["png"])
    md = folder / names["md"]
    md.write_text(
        render_markdown(summaries, peers, scenarios, missing, commands, context, args, names)
    )
    return [md, *paths]


if __name__ == "__main__":
    # python bench/report.py bench/results.csv: the summary table of a finished
    # run (what README.md shows), from its CSV.
    import sys

    from peers import PEERS
    from scenarios import build_scenarios

    summaries = read_summary_csv(Path(sys.argv[1]))
    present = {s.scenario for s in summaries}
    titles = [(sc.name, sc.title) for sc in build_scenarios().values() if sc.name in present]
    print("\n".join(versus_best_peer(_index(summaries), PEERS, titles)))
