"""supervisor's ``supervisor`` XML-RPC namespace (API version 3.0), over a
``fastwsgi.supervisor`` Supervisor.

Method names, parameters, results, faults and docstrings (``system.methodHelp``
answers them, ``system.methodSignature`` parses their ``@param``/``@return``
tags) are supervisor 4.3's, so the stock supervisorctl and any XML-RPC client
of supervisord work unchanged. This module has the daemon-level methods; the
process and log methods come from rpc_processes and rpc_logs.
"""

from __future__ import annotations

from typing import Any

from fastwsgi.control.faults import Faults, RPCError
from fastwsgi.control.rpc_logs import LogMethods
from fastwsgi.control.rpc_processes import ProcessMethods
from fastwsgi.supervisor.states import getSupervisorStateDescription

API_VERSION = "3.0"
# getSupervisorVersion answers the supervisor release whose behaviour this
# API follows: clients compare it to decide what they may call.
SUPERVISOR_VERSION = "4.3.0"


class SupervisorNamespaceRPCInterface(ProcessMethods, LogMethods):
    def getAPIVersion(self) -> str:
        """ Return the version of the RPC API used by supervisord

        @return string version id
        """
        self._update("getAPIVersion")
        return API_VERSION

    getVersion = getAPIVersion  # the name before supervisor 3.0

    def getSupervisorVersion(self) -> str:
        """ Return the version of the supervisor package in use by supervisord

        @return string version id
        """
        self._update("getSupervisorVersion")
        return SUPERVISOR_VERSION

    def getIdentification(self) -> str:
        """ Return identifying string of supervisord

        @return string identifier identifying string
        """
        self._update("getIdentification")
        return str(self.supervisord.options.identifier)

    def getState(self) -> dict[str, Any]:
        """ Return current state of supervisord as a struct

        @return struct A struct with keys int statecode, string statename
        """
        self._update("getState")
        state = self.supervisord.options.mood
        return {"statecode": state, "statename": getSupervisorStateDescription(state)}

    def getPID(self) -> int:
        """ Return the PID of supervisord

        @return int PID
        """
        self._update("getPID")
        return int(self.supervisord.options.get_pid())

    def shutdown(self) -> bool:
        """ Shut down the supervisor process

        @return boolean result always returns True unless error
        """
        self._update("shutdown")
        self.supervisord.shutdown()
        return True

    def restart(self) -> bool:
        """ Restart the supervisor process

        @return boolean result  always return True unless error
        """
        self._update("restart")
        self.supervisord.restart()
        return True

    def reloadConfig(self) -> list[list[list[str]]]:
        """
        Reload the configuration.

        The result contains three arrays containing names of process
        groups:

        * `added` gives the process groups that have been added
        * `changed` gives the process groups whose contents have
          changed
        * `removed` gives the process groups that are no longer
          in the configuration

        @return array result  [[added, changed, removed]]

        """
        self._update("reloadConfig")
        try:
            self.supervisord.options.process_config(do_usage=False)
        except ValueError as exc:
            raise RPCError(Faults.CANT_REREAD, exc) from None
        added, changed, removed = self.supervisord.diff_to_active()
        return [[[g.name for g in added], [g.name for g in changed],
                 [g.name for g in removed]]]

    def addProcessGroup(self, name: str) -> bool:
        """ Update the config for a running process from config file.

        @param string name         name of process group to add
        @return boolean result     true if successful
        """
        self._update("addProcessGroup")
        for config in self.supervisord.options.process_group_configs:
            if config.name == name:
                if not self.supervisord.add_process_group(config):
                    raise RPCError(Faults.ALREADY_ADDED, name)
                return True
        raise RPCError(Faults.BAD_NAME, name)

    def removeProcessGroup(self, name: str) -> bool:
        """ Remove a stopped process from the active configuration.

        @param string name         name of process group to remove
        @return boolean result     Indicates whether the removal was successful
        """
        self._update("removeProcessGroup")
        if name not in self.supervisord.process_groups:
            raise RPCError(Faults.BAD_NAME, name)
        if not self.supervisord.remove_process_group(name):
            raise RPCError(Faults.STILL_RUNNING, name)
        return True

    def sendRemoteCommEvent(self, type: str, data: str) -> bool:
        """ Send an event that will be received by event listener
        subprocesses subscribing to the RemoteCommunicationEvent.

        @param  string  type  String for the "type" key in the event header
        @param  string  data  Data for the event body
        @return boolean       Always return True unless error
        """
        notify = getattr(self.supervisord, "notify_remote_comm", None)
        if notify is not None:  # without event listeners there is nobody to tell
            notify(type, data)
        return True


def make_namespaces(supervisord: Any) -> dict[str, object]:
    """The namespaces of /RPC2 (``system`` is added by the handler)."""
    return {"supervisor": SupervisorNamespaceRPCInterface(supervisord)}

