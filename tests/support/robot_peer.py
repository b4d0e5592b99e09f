"""Real HTTP servers on loopback that answer as the group robots' platforms do (SPEC §6), for
the tests: the vendors' servers cannot be reached from here, so this implements each published
contract — its URL, its signature check, its error codes, its rate limit — and records what it
accepted, decoded.

  WeCom group robot    POST /cgi-bin/webhook/send?key=KEY
      bad key 93000; markdown over 4,096 bytes or text over 2,048: 40058; more than RATE requests
      in any window of MINUTE seconds: 45009 (every request counts, whatever it is answered).
  DingTalk robot       POST /robot/send?access_token=TOKEN[&timestamp=MS&sign=SIGN]
      bad token 300001; with --dingtalk-secret, a sign that is not Base64(HMAC-SHA256(secret,
      "MS\\nsecret")) or a timestamp more than an hour off: 310000; a message without the
      --keyword: 310000; more than RATE in a window: 130101, then every request 130101 for BAN
      seconds (the platform's 10-minute ban).
  Feishu custom bot    POST /open-apis/bot/v2/hook/HOOK
      bad hook 19001; with --feishu-secret, body "timestamp"/"sign" checked (HMAC-SHA256 keyed by
      "S\\nsecret" over nothing): 19021; more than FEISHU_RATE a window or 5 a second: 11232;
      a body over 20,000 bytes 9499, a post that is not lines of text/a/at elements 19002, a
      message without the --keyword 19024.
  Partner webhook      POST /hooks[/STATUS]
      Standard Webhooks signature checked with --webhook-secret (401 when wrong); /hooks/410,
      /hooks/500 … answer that status (after checking the signature).

  GET /_received       every accepted request: {"platform", "path", "headers", "body"}
  GET /_requests       how many requests each platform saw, accepted or not, and under
                       "throttled" how many of them each platform refused for its rate (WeCom
                       45009, DingTalk 130101 — the ban's answers too —, Feishu 11232)
  GET /_times          each platform's requests, accepted or not: their arrival times in
                       monotonic seconds, in order (what a window of MINUTE seconds counts)
  GET /_webhook_ids    the webhook-id of every signed webhook request, in order
  (--webhook-fail-first N: the first N signed webhook requests are answered 503)

Usage: python3 robot_peer.py [--port N] [--key K] [--token T] [--hook H] [--dingtalk-secret S]
  [--feishu-secret S] [--webhook-secret whsec_…] [--keyword W] [--rate 20] [--feishu-rate 100]
  [--minute 60] [--ban 600]   (prints "PORT <n>" once listening)
"""
import argparse
import base64
import hashlib
import hmac
import json
import threading
import time
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Peer:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.received = []
        self.seen = defaultdict(deque)  # platform -> times of every request
        self.counts = defaultdict(int)
        self.throttled = defaultdict(int)  # platform -> requests refused for the rate
        self.times = defaultdict(list)  # platform -> arrival of every request, monotonic
        self.banned_until = 0.0
        self.webhook_ids = []
        self.failures_left = args.webhook_fail_first

    def arrived(self, platform):
        """Counts a request to `platform` and notes when it came."""
        self.counts[platform] += 1
        self.times[platform].append(time.monotonic())

    def over(self, platform, limit, window):
        """Counts this request; whether the platform's window now holds more than `limit`."""
        now = time.monotonic()
        seen = self.seen[platform + str(window)]
        seen.append(now)
        while seen and seen[0] <= now - window:
            seen.popleft()
        return len(seen) > limit


def content_strings(value):
    """Every string value of a message (not its keys): what a keyword check reads."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from content_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from content_strings(v)


def feishu_shape_ok(body):
    """A text message, or a post whose lines are lists of text, a and at elements."""
    if not isinstance(body, dict):
        return False
    if body.get("msg_type") == "text":
        return isinstance((body.get("content") or {}).get("text"), str)
    if body.get("msg_type") != "post":
        return False
    post = ((body.get("content") or {}).get("post") or {}).get("zh_cn")
    if not isinstance(post, dict) or not isinstance(post.get("content"), list):
        return False
    for line in post["content"]:
        if not isinstance(line, list):
            return False
        for element in line:
            tag = element.get("tag") if isinstance(element, dict) else None
            if tag == "text" and isinstance(element.get("text"), str):
                continue
            if tag == "a" and isinstance(element.get("href"), str):
                continue
            if tag == "at" and isinstance(element.get("user_id"), str):
                continue
            return False
    return True


def hmac_b64(key, message):
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


class Handler(BaseHTTPRequestHandler):
    peer = None

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        peer = self.peer
        with peer.lock:
            if self.path == "/_received":
                return self.answer(200, peer.received)
            if self.path == "/_requests":
                return self.answer(200, {**peer.counts, "throttled": dict(peer.throttled)})
            if self.path == "/_times":
                return self.answer(200, {k: list(v) for k, v in peer.times.items()})
            if self.path == "/_webhook_ids":
                return self.answer(200, peer.webhook_ids)
        self.answer(404, {})

    def do_POST(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            body = None
        peer, args = self.peer, self.peer.args
        with peer.lock:
            if url.path == "/cgi-bin/webhook/send":
                return self.wecom(query, body, raw)
            if url.path == "/robot/send":
                return self.dingtalk(query, body, raw)
            if url.path.startswith("/open-apis/bot/v2/hook/"):
                return self.feishu(url.path.rsplit("/", 1)[1], body, raw)
            if url.path == "/hooks" or url.path.startswith("/hooks/"):
                return self.webhook(url.path, body, raw)
        self.answer(404, {"errcode": 404, "errmsg": "not found"})

    def record(self, platform, body):
        self.peer.received.append({
            "platform": platform, "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
            "at": time.time(),
        })

    def wecom(self, query, body, raw):
        peer, args = self.peer, self.peer.args
        peer.arrived("wecom")
        if query.get("key") != args.key:
            return self.answer(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
        if peer.over("wecom", args.rate, args.minute):
            peer.throttled["wecom"] += 1
            return self.answer(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
        kind = (body or {}).get("msgtype")
        content = ((body or {}).get(kind) or {}).get("content", "")
        limit = {"markdown": 4096, "text": 2048}.get(kind)
        if limit is None or not isinstance(content, str):
            return self.answer(200, {"errcode": 40008, "errmsg": "invalid message type"})
        if len(content.encode()) > limit:
            return self.answer(200, {"errcode": 40058, "errmsg": "content exceed max length"})
        self.record("wecom", body)
        self.answer(200, {"errcode": 0, "errmsg": "ok"})

    def dingtalk(self, query, body, raw):
        peer, args = self.peer, self.peer.args
        peer.arrived("dingtalk")
        if time.monotonic() < peer.banned_until:
            peer.throttled["dingtalk"] += 1
            return self.answer(200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
        if query.get("access_token") != args.token:
            return self.answer(200, {"errcode": 300001, "errmsg": "token is not exist"})
        if args.dingtalk_secret:
            ts = query.get("timestamp", "")
            expected = hmac_b64(args.dingtalk_secret.encode(), f"{ts}\n{args.dingtalk_secret}".encode())
            fresh = ts.isdigit() and abs(int(ts) - time.time() * 1000) < 3600 * 1000
            if not fresh or query.get("sign") != expected:
                return self.answer(200, {"errcode": 310000, "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"})
        if peer.over("dingtalk", args.rate, args.minute):
            peer.banned_until = time.monotonic() + args.ban
            peer.throttled["dingtalk"] += 1
            return self.answer(200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
        text = " ".join(content_strings(body))
        if args.keyword and args.keyword not in text:
            return self.answer(200, {"errcode": 310000, "errmsg": "keywords not in content"})
        self.record("dingtalk", body)
        self.answer(200, {"errcode": 0, "errmsg": "ok"})

    def feishu(self, hook, body, raw):
        peer, args = self.peer, self.peer.args
        peer.arrived("feishu")
        if hook != args.hook:
            return self.answer(200, {"code": 19001, "msg": "param invalid: incoming webhook access token invalid", "data": {}})
        if args.feishu_secret:
            ts = str((body or {}).get("timestamp", ""))
            expected = hmac_b64(f"{ts}\n{args.feishu_secret}".encode(), b"")
            fresh = ts.isdigit() and abs(int(ts) - time.time()) < 3600
            if not fresh or (body or {}).get("sign") != expected:
                return self.answer(200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time", "data": {}})
        if peer.over("feishu-second", 5, 1) | peer.over("feishu", args.feishu_rate, args.minute):
            peer.throttled["feishu"] += 1
            return self.answer(200, {"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]", "data": {}})
        if len(raw) > 20000:
            return self.answer(400, {"code": 9499, "msg": "Bad Request: request body too large", "data": {}})
        if not feishu_shape_ok(body):
            return self.answer(400, {"code": 19002, "msg": "params error, msg_type or content invalid", "data": {}})
        if args.keyword and args.keyword not in " ".join(content_strings((body or {}).get("content"))):
            return self.answer(200, {"code": 19024, "msg": "Key Words Not Found", "data": {}})
        self.record("feishu", body)
        self.answer(200, {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"})

    def webhook(self, path, body, raw):
        peer, args = self.peer, self.peer.args
        peer.arrived("webhook")
        msg_id = self.headers.get("webhook-id", "")
        ts = self.headers.get("webhook-timestamp", "")
        signatures = self.headers.get("webhook-signature", "")
        key = base64.b64decode(args.webhook_secret.removeprefix("whsec_"))
        expected = "v1," + hmac_b64(key, f"{msg_id}.{ts}.".encode() + raw)
        fresh = ts.isdigit() and abs(int(ts) - time.time()) < 300
        if not fresh or expected not in signatures.split(" "):
            return self.answer(401, {"error": "invalid signature"})
        peer.webhook_ids.append(msg_id)
        status = int(path.rsplit("/", 1)[1]) if path.count("/") > 1 else 200
        if peer.failures_left > 0:
            peer.failures_left -= 1
            status = 503
        if status < 300:
            self.record("webhook", body)
        self.answer(status, {"status": status})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--key", default="wecom-key")
    parser.add_argument("--token", default="dingtalk-token")
    parser.add_argument("--hook", default="feishu-hook")
    parser.add_argument("--dingtalk-secret", default="")
    parser.add_argument("--feishu-secret", default="")
    parser.add_argument("--webhook-secret", default="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    parser.add_argument("--keyword", default="")
    parser.add_argument("--webhook-fail-first", type=int, default=0)
    parser.add_argument("--rate", type=int, default=20)
    parser.add_argument("--feishu-rate", type=int, default=100)
    parser.add_argument("--minute", type=float, default=60.0)
    parser.add_argument("--ban", type=float, default=600.0)
    args = parser.parse_args()
    Handler.peer = Peer(args)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
