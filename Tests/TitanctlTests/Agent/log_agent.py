#!/usr/bin/env python3
"""A minimal agent for titanctl's tests: speaks the agent protocol to titan-api and serves
task logs, so `titanctl task logs [-f]` is tested through the API's real log proxy.

Usage: log_agent.py API_URL AGENT_ID
Prints "ready PORT" once registered. Every launched task runs "forever" and writes
"hello from TASK attempt N" then "tick 1", "tick 2", ... (one every 0.2 s while followed).
A followed stream ends with "stream ended: task killed" once the task is killed.
Exits when its standard input closes.
"""
import datetime
import http.server
import json
import socketserver
import sys
import threading
import time
import urllib.parse
import urllib.request

API, AGENT_ID = sys.argv[1], sys.argv[2]
lock = threading.Lock()
running = {}  # task id -> attempt
killed = set()  # (task id, attempt)


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def call(method, path, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(API + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def reports():
    with lock:
        return [{"taskID": t, "attempt": a, "state": "started", "ports": []} for t, a in running.items()]


class Logs(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        parts = url.path.split("/")
        if len(parts) != 5 or parts[1] != "v1" or parts[2] != "tasks" or parts[4] != "logs":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        task = parts[3]
        query = urllib.parse.parse_qs(url.query)
        attempt = int(query.get("attempt", ["0"])[0])
        follow = query.get("follow", ["false"])[0] == "true"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def chunk(text):
            data = text.encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        try:
            chunk("hello from %s attempt %d\n" % (task, attempt))
            chunk("tick 1\ntick 2\n")
            tick = 3
            while follow:
                with lock:
                    gone = (task, attempt) in killed
                if gone:
                    chunk("stream ended: task killed\n")
                    break
                time.sleep(0.2)
                chunk("tick %d\n" % tick)
                tick += 1
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def order_loop():
    after = 0
    last_heartbeat = 0.0
    while True:
        try:
            orders = call("GET", "/v1/agents/%s/orders?after=%d&waitSeconds=1" % (AGENT_ID, after))["orders"]
            updates = []
            for order in orders:
                after = max(after, order["seq"])
                task, attempt = order["taskID"], order["attempt"]
                if order["kind"] == "launch":
                    with lock:
                        running[task] = attempt
                    updates.append({"taskID": task, "attempt": attempt, "state": "started", "at": now()})
                else:
                    with lock:
                        running.pop(task, None)
                        killed.add((task, attempt))
                    updates.append({"taskID": task, "attempt": attempt, "state": "finished",
                                    "reason": "killed", "at": now()})
            if updates:
                call("POST", "/v1/agents/%s/status" % AGENT_ID, {"updates": updates})
            if time.time() - last_heartbeat > 0.2:
                last_heartbeat = time.time()
                call("POST", "/v1/agents/%s/heartbeat" % AGENT_ID, {"runningTasks": reports()})
        except Exception as error:  # the API restarting, or going away at the end of a test
            print("agent: %s" % error, file=sys.stderr)
            time.sleep(0.2)


def main():
    server = Server(("127.0.0.1", 0), Logs)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    call("POST", "/v1/agents/register", {
        "agentID": AGENT_ID, "address": "http://127.0.0.1:%d" % port, "agentVersion": "test",
        "resources": {"cpus": 4, "memoryMB": 4096, "diskGB": 100, "networkMbps": 1000,
                      "portRanges": [{"first": 40000, "last": 40099}], "scalars": {}},
        "attributes": {"zone": "zone-logs"}, "runningTasks": []})
    threading.Thread(target=order_loop, daemon=True).start()
    print("ready %d" % port, flush=True)
    sys.stdin.read()


main()
