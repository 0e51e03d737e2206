#!/usr/bin/env python3
"""A small HTTP/1.1 server that CurlHTTPTests start and stop for each test.

Listens on 127.0.0.1 (an ephemeral port unless --port is given) and, with --unix PATH, also
on a unix-domain socket. Prints "ready PORT" once both are listening. Exits when its standard
input closes, so it never outlives the test process that started it.

Routes:
  GET  /hello                  -> 200 "hello"
  ANY  /echo                   -> 200, JSON {method, path, headers, body}
  GET  /status/CODE            -> CODE with body "status CODE"
  GET  /headers                -> 200 with X-Titan-One: 1 and two X-Titan-Many fields
  GET  /slow?seconds=S         -> sleeps S seconds, then 200 "slow"
  GET  /stream?chunks=N&delay=D&size=B -> chunked body: N chunks of B bytes ("chunk I\n" by
                                  default), D seconds apart
  GET  /bytes?count=N          -> N bytes, byte i = i % 251
  GET  /held-stream            -> chunked: "first\n", then waits (up to 20 s) for a POST to
                                  /release before "second\n" and the end
  POST /release                -> 204, lets /held-stream finish
"""
import argparse
import json
import os
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


RELEASED = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def _query(self):
        parsed = urlparse(self.path)
        return parsed.path, {k: v[-1] for k, v in parse_qs(parsed.query).items()}

    def _send(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        path, query = self._query()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if path == "/hello":
            self._send(200, b"hello", [("Content-Type", "text/plain")])
        elif path == "/echo":
            reply = {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
            }
            self._send(200, json.dumps(reply).encode(), [("Content-Type", "application/json")])
        elif path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            self._send(code, f"status {code}".encode())
        elif path == "/headers":
            self._send(200, b"", [("X-Titan-One", "1"), ("X-Titan-Many", "a"), ("X-Titan-Many", "b")])
        elif path == "/slow":
            time.sleep(float(query.get("seconds", "1")))
            self._send(200, b"slow")
        elif path == "/stream":
            self._stream(int(query.get("chunks", "3")), float(query.get("delay", "0.1")), query.get("size"))
        elif path == "/bytes":
            count = int(query.get("count", "0"))
            pattern = bytes(i % 251 for i in range(251))
            data = (pattern * (count // 251 + 1))[:count]
            self._send(200, data, [("Content-Type", "application/octet-stream")])
        elif path == "/held-stream":
            self._held_stream()
        elif path == "/release":
            RELEASED.set()
            self._send(204, b"")
        else:
            self._send(404, b"no such route")

    def _stream(self, chunks, delay, size):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.flush()
        try:
            for index in range(chunks):
                data = (b"x" * int(size)) if size else f"chunk {index}\n".encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
                if index + 1 < chunks:
                    time.sleep(delay)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _held_stream(self):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            self.wfile.write(b"6\r\nfirst\n\r\n")
            self.wfile.flush()
            RELEASED.wait(20)
            self.wfile.write(b"7\r\nsecond\n\r\n0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle


class UnixHandler(Handler):
    def address_string(self):
        return "unix"


class ThreadingUnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--unix")
    parser.add_argument("--listen-after", type=float, default=0, help="seconds to wait before listening")
    args = parser.parse_args()
    time.sleep(args.listen_after)
    ThreadingHTTPServer.daemon_threads = True
    servers = [ThreadingHTTPServer(("127.0.0.1", args.port), Handler)]
    if args.unix:
        if os.path.exists(args.unix):
            os.unlink(args.unix)
        servers.append(ThreadingUnixServer(args.unix, UnixHandler))
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"ready {servers[0].server_address[1]}", flush=True)
    sys.stdin.read()  # returns when the test process closes our stdin or exits
    os._exit(0)


if __name__ == "__main__":
    main()
