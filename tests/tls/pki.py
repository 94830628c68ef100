"""A test certificate authority made with the openssl CLI, once per session.

Files (PEM, in one directory): ca.pem, server.pem + server.key (127.0.0.1 and
localhost), server2.pem + server2.key (the certificate a HUP switches to),
client.pem + client.key (signed by the CA), rogue-client.pem + .key (signed by
another CA), server-enc.key (server.key under the passphrase PASSPHRASE),
other.key (a key that matches no certificate), bundle.pem (certificate and
key in one file).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

PASSPHRASE = "correct horse"
EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _ca(name: str, d: Path) -> None:
    _openssl("req", "-x509", *EC, "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem",
             "-days", "2", "-subj", f"/CN=fastwsgi test {name}",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)


def _leaf(name: str, ca: str, subject: str, ext: str, d: Path) -> None:
    _openssl("req", *EC, "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
             "-subj", subject, cwd=d)
    (d / f"{name}.ext").write_text(ext)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
             "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext",
             cwd=d)


def make_pki(d: Path) -> Path:
    """Write the files listed above into d (created) and return d."""
    d.mkdir(parents=True, exist_ok=True)
    server_ext = ("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                  "extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n")
    client_ext = "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n"
    _ca("ca", d)
    _ca("rogue-ca", d)
    _leaf("server", "ca", "/CN=localhost/O=fastwsgi tests", server_ext, d)
    _leaf("server2", "ca", "/CN=localhost/O=fastwsgi tests renewed", server_ext, d)
    _leaf("client", "ca", "/CN=client-1/O=fastwsgi tests", client_ext, d)
    _leaf("rogue-client", "rogue-ca", "/CN=rogue", client_ext, d)
    _openssl("pkey", "-in", "server.key", "-aes256", "-passout", f"pass:{PASSPHRASE}",
             "-out", "server-enc.key", cwd=d)
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-out", "other.key", cwd=d)
    (d / "bundle.pem").write_text((d / "server.pem").read_text() + (d / "server.key").read_text())
    return d


def have_openssl() -> bool:
    return shutil.which("openssl") is not None
