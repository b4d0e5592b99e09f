"""A real SMTP server on loopback for the tests (aiosmtpd), writing each accepted message to a
directory. Behaviour by recipient local part, so tests can provoke answers:
  reject*@…    550 at RCPT (permanent failure)
  tempfail*@…  451 at RCPT (transient failure)
  slow*@…      accepted after a 1.5 s pause (a send in flight)
Usage: python3 smtp_sink.py DIR [PORT] [--starttls CERT KEY | --tls CERT KEY] [--auth USER:PASS]
(prints "PORT <n>" once listening)
"""
import argparse
import asyncio
import os
import socket
import ssl
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("tempfail"):
            return "451 4.3.0 try again later"
        if local.startswith("slow"):
            await asyncio.sleep(1.5)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        accepted_ns = time.time_ns()
        self.count += 1
        name = f"{time.time_ns()}-{os.getpid()}-{self.count}.eml"
        tmp = os.path.join(self.directory, "." + name)
        with open(tmp, "wb") as f:
            f.write(b"X-Accepted-At-Ns: " + str(accepted_ns).encode() + b"\r\n")
            f.write(b"X-Envelope-From: " + envelope.mail_from.encode() + b"\r\n")
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            tls = bool(session.ssl) or server.transport.get_extra_info("ssl_object") is not None
            f.write(b"X-Tls: " + (b"yes" if tls else b"no") + b"\r\n")
            login = session.auth_data.login if session.authenticated and session.auth_data else b"-"
            f.write(b"X-Auth: " + login + b"\r\n")
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(self.directory, name))
        return "250 Message accepted"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("port", nargs="?", type=int, default=0)
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth", metavar="USER:PASS")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    port = args.port
    if port == 0:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()

    kwargs = {}
    if args.starttls or args.tls:
        cert, key = args.starttls or args.tls
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        if args.starttls:
            kwargs.update(tls_context=context, require_starttls=True)
        else:
            kwargs.update(ssl_context=context)
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == user.encode() and auth_data.password == password.encode()
            return AuthResult(success=ok, auth_data=auth_data if ok else None)

        kwargs.update(authenticator=authenticator, auth_required=True,
                      # aiosmtpd counts only STARTTLS as TLS for this check.
                      auth_require_tls=bool(args.starttls))
    controller = Controller(Sink(args.dir), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    print(f"PORT {port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
