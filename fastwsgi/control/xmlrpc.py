"""supervisor's XML-RPC endpoint (/RPC2) and its ``system`` namespace.

Marshalling is the standard library's ``xmlrpc.client`` (``dumps``/``loads``),
which is what supervisord itself sends with. A method is ``namespace.name``
with exactly one dot and no leading underscore in the name (supervisor's fix
for CVE-2017-11610: no attribute traversal). Methods may be coroutines: where
supervisord returns a deferred callback polled by its select loop (start and
stop with ``wait=True``), ours ``await`` the state change, so the master's loop
is never blocked by a waiting client.

Faults are answered as XML-RPC faults; anything else a method raises is a bug
and answers HTTP 500 (as supervisord), except inside ``system.multicall``,
where it becomes that call's FAILED fault.
"""

from __future__ import annotations

import inspect
import logging
import xmlrpc.client
from collections.abc import Callable
from typing import Any

from fastwsgi.control.faults import Faults, RPCError
from fastwsgi.control.http import Request, Response, error_response


def public_methods(namespace: object) -> dict[str, Callable[..., Any]]:
    """The methods a namespace publishes: every public callable of its class."""
    found: dict[str, Callable[..., Any]] = {}
    for name in dir(type(namespace)):
        if name.startswith("_"):
            continue
        attr = getattr(namespace, name)
        if inspect.ismethod(attr):
            found[name] = attr
    return found


def resolve(namespaces: dict[str, object], method: str) -> Callable[..., Any]:
    parts = method.split(".")
    if len(parts) != 2 or parts[1].startswith("_"):
        raise RPCError(Faults.UNKNOWN_METHOD)
    namespace = namespaces.get(parts[0])
    func = getattr(namespace, parts[1], None) if namespace is not None else None
    if func is None or not inspect.ismethod(func):
        raise RPCError(Faults.UNKNOWN_METHOD)
    return func  # type: ignore[no-any-return]


async def call(namespaces: dict[str, object], method: str, params: tuple[Any, ...]) -> Any:
    func = resolve(namespaces, method)
    try:
        result = func(*params)
        if inspect.isawaitable(result):
            result = await result
    except TypeError:
        # wrong number or kind of arguments (supervisor answers the same for
        # a TypeError raised by the method itself)
        raise RPCError(Faults.INCORRECT_PARAMETERS) from None
    return result


def parse_tags(doc: str) -> list[tuple[str, str]]:
    """(tag, datatype) of every ``@tag datatype name text`` line of a docstring."""
    tags = []
    for line in doc.split("\n"):
        parts = line.strip().split(None, 3)
        if parts and parts[0].startswith("@"):
            tags.append((parts[0][1:], parts[1] if len(parts) > 1 else ""))
    return tags


class SystemNamespaceRPCInterface:
    """``system.*``: introspection and multicall over every namespace."""

    def __init__(self, namespaces: dict[str, object]) -> None:
        self.namespaces = dict(namespaces)
        self.namespaces["system"] = self

    def _methods(self) -> dict[str, Callable[..., Any]]:
        methods = {}
        for ns_name, namespace in self.namespaces.items():
            for name, func in public_methods(namespace).items():
                methods[f"{ns_name}.{name}"] = func
        return methods

    def listMethods(self) -> list[str]:
        """ Return an array listing the available method names

        @return array result  An array of method names available (strings).
        """
        return sorted(self._methods())

    def methodHelp(self, name: str) -> str:
        """ Return a string showing the method's documentation

        @param string name   The name of the method.
        @return string result The documentation for the method name.
        """
        func = self._methods().get(name)
        if func is None:
            raise RPCError(Faults.SIGNATURE_UNSUPPORTED)
        return str(func.__doc__)

    def methodSignature(self, name: str) -> list[str]:
        """ Return an array describing the method signature in the
        form [rtype, ptype, ptype...] where rtype is the return data type
        of the method, and ptypes are the parameter data types that the
        method accepts in method argument order.

        @param string name  The name of the method.
        @return array result  The result.
        """
        func = self._methods().get(name)
        if func is None:
            raise RPCError(Faults.SIGNATURE_UNSUPPORTED)
        rtype = None
        ptypes = []
        for tag, datatype in parse_tags(str(func.__doc__)):
            if tag == "return":
                rtype = datatype
            elif tag == "param":
                ptypes.append(datatype)
        if rtype is None:
            raise RPCError(Faults.SIGNATURE_UNSUPPORTED)
        return [rtype, *ptypes]

    async def multicall(self, calls: list[Any]) -> list[Any]:
        """Process an array of calls, and return an array of
        results. Calls should be structs of the form {'methodName':
        string, 'params': array}. Each result will either be a
        single-item array containing the result value, or a struct of
        the form {'faultCode': int, 'faultString': string}. This is
        useful when you need to make lots of small calls without lots
        of round trips.

        @param array calls  An array of call requests
        @return array result  An array of results
        """
        results = []
        for entry in calls:
            try:
                name = entry.get("methodName") if isinstance(entry, dict) else None
                if name is None:
                    raise RPCError(Faults.INCORRECT_PARAMETERS, "No methodName")
                if name == "system.multicall":
                    raise RPCError(Faults.INCORRECT_PARAMETERS,
                                   "Recursive system.multicall forbidden")
                value = await call(self.namespaces, name, tuple(entry.get("params", [])))
            except RPCError as exc:
                value = {"faultCode": exc.code, "faultString": exc.text}
            except Exception as exc:  # noqa: BLE001 - one broken call must not lose the others'
                value = {"faultCode": Faults.FAILED,
                         "faultString": f"FAILED: {type(exc)}:{exc}"}
            results.append(value)
        return results


def marshal(value: Any) -> bytes:
    if isinstance(value, xmlrpc.client.Fault):
        return xmlrpc.client.dumps(value).encode("utf-8")
    return xmlrpc.client.dumps((value,), methodresponse=True).encode("utf-8")


class XMLRPCHandler:
    """The /RPC2 route: parse, dispatch to a namespace, marshal the answer."""

    def __init__(self, namespaces: dict[str, object],
                 log: logging.Logger | None = None) -> None:
        self.system = SystemNamespaceRPCInterface(namespaces)
        self.namespaces = self.system.namespaces
        self.log = log or logging.getLogger("fastwsgi.error")

    async def __call__(self, request: Request) -> Response:
        try:
            params, method = xmlrpc.client.loads(request.body)
        except Exception:  # noqa: BLE001 - expat errors, bad values: not XML-RPC
            self.log.error("XML-RPC request data is invalid: unmarshallable (%d bytes)",
                           len(request.body))
            return error_response(400)
        if not method:
            self.log.error("XML-RPC request data is invalid: no method name")
            return error_response(400)
        try:
            value = await call(self.namespaces, method, params or ())
        except RPCError as err:
            value = xmlrpc.client.Fault(err.code, err.text)
        try:
            body = marshal(value)
        except (TypeError, OverflowError):
            self.log.exception("XML-RPC method %s() returned what XML-RPC cannot carry", method)
            return error_response(500)
        return Response(200, body, content_type="text/xml")
