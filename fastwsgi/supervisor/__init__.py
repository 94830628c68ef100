"""Supervisor mode: run a supervisord.conf (supervisor 4's format and semantics).

configs.py/ini.py are the model of the file, states.py/process.py/groups.py the
state machine, capture.py/commcapture.py/logfile.py the children's output, supervisord.py the
host that runs them all in one asyncio loop, main.py the entry point.
fastwsgi.control serves supervisor's XML-RPC from these objects (it imports
this package; this package never imports it).  See SUPERVISOR_API.md.
"""
