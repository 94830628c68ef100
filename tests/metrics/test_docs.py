"""README's Monitoring section is current: it names every metric family the
exposition can contain (app mode and supervisor mode) and every restart
reason, as the code spells them."""

from __future__ import annotations

import re
import socket

from fastwsgi.control import metrics
from fastwsgi.control.snapshot import Monitor
from fastwsgi.control.supervised import PLACE_REASONS, RESTART_REASONS
from fastwsgi.workers import counters as wc
from tests.metrics.fakes import FakeMaster, master_info
from tests.support import ROOT


def _monitoring_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("\n## Monitoring")
    return text[start:text.index("\n## ", start + 1)]


def _every_family() -> set[str]:
    m = FakeMaster(2)
    m.totals.worker_exited(wc.zero(), wc.Exit(1, "crash", "x"))
    m.put(m.WORKERS[90000].slot, "status", 1, 200 - 99)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    m.listeners.append(listener)
    program = {"name": "sleeper", "process": "sleeper", "group": "sleeper", "state": "RUNNING",
               "pid": 7, "uptime": 3, "started": 1.0, "exit_status": 0,
               "restarts": 0, "restart_reasons": dict.fromkeys(RESTART_REASONS, 0)}
    try:
        snap = Monitor(master_info, lambda: [("web", m)], lambda: [program]).sample()
    finally:
        listener.close()
    return {f.name + ("_total" if f.kind == "counter" else "") for f in metrics.families(snap)}


def test_readme_names_every_metric_family() -> None:
    section = _monitoring_section()
    named = set(re.findall(r"`(fastwsgi_[a-z_]+)[`{]", section))
    families = _every_family()
    assert len(families) > 30
    assert families - named == set(), "README's Monitoring section does not name these"
    assert named - families == set(), "README's Monitoring section names metrics that do not exist"


def test_readme_names_every_restart_reason() -> None:
    section = _monitoring_section()
    for reason in wc.RESTART_REASONS + RESTART_REASONS + PLACE_REASONS:
        assert f"`{reason}`" in section or f" {reason}," in section or f" {reason}:" in section, reason
