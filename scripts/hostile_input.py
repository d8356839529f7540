"""Hostile HTTP input against a real server (scripts/hostile-input).

Every request goes out byte-exact over a raw socket to a `sluice serve` on the embedded stores.
Each case must get a 4xx (a request refused before its headers parse may instead get its
connection closed, as API.md allows), never a 5xx, an answer within 10 s, and one answer only
(nothing hidden in a body is ever run as a request). The cases: path traversal in the URL and in
file names (PUT, multipart, tus), NUL and control bytes, oversized request lines and headers,
invalid UTF-8, request smuggling and framing errors, negative and huge numbers in every header
that takes one, broken multipart bodies, bad methods and versions, two Host headers, odd
progress keys, wrong delete tokens. Where RFC 9110 names another answer it is allowed too: 505
for another HTTP version, 501 for a transfer coding besides chunked (or it is decoded), and an
invalid Range is ignored (200, the whole file) while an unsatisfiable one gets 416.

A hostile name may be accepted as a display name: then the file must sit under a random id, its
links must survive a client's dot-segment normalisation, and its download must give the bytes
back with a Content-Disposition that names no path.

After the sweep nothing may have been written: the database holds exactly the records of the
files uploaded on purpose, blobs/ exactly their blobs, tmp/ nothing, partial/ only the tus upload
left unfinished on purpose, nothing appeared outside the data directory, and the server still
answers /healthz and serves its first file intact (SHA-256). Also: unknown, deleted and used-up
links answer 404 in the same time (no enumeration by timing), and 200 uploads of the same name
and bytes get 200 ids and delete tokens of at least 128 bits with no shared prefix longer than
chance allows.
"""

import base64
import collections
import gzip
import hashlib
import math
import os
import random
import re
import secrets
import socket
import statistics
import sys
import time
import urllib.parse

from instances import Instance, run_checks
from steps import Failure, check, note, step

TIMEOUT = 10
HOST = b"sluice.test"
BODY = b"abc"
OFFSET_TYPE = b"Content-Type: application/offset+octet-stream"
UNFINISHED = "unfinished.txt"  # the tus upload left unfinished on purpose
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
TIMING_ROUNDS = 200
# Medians measured 0.4-0.5 ms (release) and 1.0-1.4 ms (debug), the three kinds of 404 at most 8%
# apart (a used-up link reads its record, the others find none). A quarter, and at least 0.25 ms,
# is well beyond that noise and flags a path that does distinctly more work.
TIMING_FLOOR_MS, TIMING_SHARE = 0.25, 0.25
ID_UPLOADS = 200
# Two of 200 random ids sharing 6 characters: 19900 pairs * 64^-6, about 3e-7.
MAX_SHARED_PREFIX = 5

Answer = collections.namedtuple("Answer", "status headers body")


class Wire:
    """A raw TCP connection: requests go out exactly as given, answers are parsed by hand."""

    def __init__(self, port):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.buffer = b""

    def close(self):
        self.socket.close()

    def send(self, data):
        try:
            self.socket.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the end: its answer may still be readable

    def call(self, data, head=False):
        """Sends a request and returns its answer (a Failure if the server closed instead)."""
        self.send(data)
        answer = self.answer(head)
        check(answer is not None, f"the server closed instead of answering {data[:60]!r}")
        return answer

    def answer(self, head=False):
        """The next answer after any 100 Continue; None when the server closed without one.
        Raises socket.timeout after TIMEOUT s of silence."""
        while True:
            block = self._until(b"\r\n\r\n")
            if block is None:
                return None
            lines = block.decode("latin-1").split("\r\n")
            match = re.fullmatch(r"HTTP/1\.[01] (\d{3})( .*)?", lines[0])
            check(match, f"not an HTTP answer: {block[:80]!r}")
            status = int(match[1])
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if status != 100:
                return Answer(status, headers, self._body(status, headers, head))

    def rest(self):
        """Any further answers before the server closes or falls silent for a second."""
        self.socket.settimeout(1)
        answers = []
        try:
            while (answer := self.answer()) is not None:
                answers.append(answer)
        except (socket.timeout, Failure):
            pass
        return answers

    def _body(self, status, headers, head):
        if head or status in (204, 304):
            return b""
        if "chunked" in headers.get("transfer-encoding", ""):
            body = b""
            while (size := int(self._until(b"\r\n").split(b";")[0], 16)) > 0:
                body += self._exactly(size + 2)[:size]
            while self._until(b"\r\n"):
                pass  # trailer fields
            return body
        if "content-length" in headers:
            return self._exactly(int(headers["content-length"]))
        return self._until_close()

    def _fill(self):
        try:
            data = self.socket.recv(65536)
        except ConnectionResetError:
            data = b""
        self.buffer += data
        return bool(data)

    def _until(self, marker):
        while marker not in self.buffer:
            if not self._fill():
                check(not self.buffer, f"an answer cut off: {self.buffer[:80]!r}")
                return None
        block, _, self.buffer = self.buffer.partition(marker)
        return block

    def _exactly(self, count):
        while len(self.buffer) < count:
            check(self._fill(), "an answer body cut off")
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def _until_close(self):
        while self._fill():
            pass
        data, self.buffer = self.buffer, b""
        return data


def exchange(port, data):
    """Sends `data` on a new connection; returns every answer it got ([None]: closed unanswered)."""
    wire = Wire(port)
    try:
        wire.send(data)
        try:
            first = wire.answer(head=data.startswith(b"HEAD "))
        except socket.timeout:
            raise Failure(f"no answer within {TIMEOUT} s") from None
        return [first] + (wire.rest() if first is not None else [])
    finally:
        wire.close()


# Requests ------------------------------------------------------------------------------------

def request(line, lines=(), body=b"", length=True, close=True):
    """The bytes of a request, sent exactly so: `line`, Host, each of `lines`, Content-Length of a
    non-empty `body` unless `length` is False (the lines frame it), Connection: close unless
    `close` is False, a blank line, `body`."""
    head = [line, b"Host: " + HOST, *lines]
    if body and length:
        head.append(b"Content-Length: %d" % len(body))
    if close:
        head.append(b"Connection: close")
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def put(target, lines=(), body=BODY):
    return request(b"PUT /" + target + b" HTTP/1.1", lines, body)


def framed(name, lines, body):
    """A PUT framed only by `lines`, left open so that a request hidden in `body` could run."""
    return request(b"PUT /" + name + b" HTTP/1.1", lines, body, length=False, close=False)


def hidden(name):
    """A second request to hide in a body: if it ever runs, it stores `smuggled-NAME`."""
    return request(b"PUT /smuggled-" + name + b" HTTP/1.1", body=BODY)


def form(body, content_type=b"multipart/form-data; boundary=B"):
    return request(b"POST / HTTP/1.1", [b"Content-Type: " + content_type], body)


def part(parameters, body=BODY, boundary=b"B"):
    return (b"--" + boundary + b"\r\nContent-Disposition: form-data; " + parameters + b"\r\n\r\n"
            + body + b"\r\n")


def file_part(filename_parameter):
    return part(b'name="file"; ' + filename_parameter)


def closing(boundary=b"B"):
    return b"--" + boundary + b"--\r\n"


def file_form(filename_parameter):
    """A form of one file part, `filename_parameter` its Content-Disposition's name parameter."""
    return form(file_part(filename_parameter) + closing())


def tus(line, lines=(), body=b""):
    return request(line, [b"Tus-Resumable: 1.0.0", *lines], body)


def tus_create(metadata=None, length=b"3", body=b""):
    """A tus creation; with `body`, creation-with-upload."""
    lines = [b"Upload-Length: " + length]
    if metadata is not None:
        lines.append(b"Upload-Metadata: " + metadata)
    if body:
        lines.append(OFFSET_TYPE)
    return tus(b"POST /files/ HTTP/1.1", lines, body)


def b64(data):
    return base64.b64encode(data)


def file_name(number, label):
    """The file name case `number` sends where the attack is not in the name itself."""
    return f"{number:03d}-" + re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") + ".txt"


# Expectations: each takes the first answer (None: closed unanswered) and returns what is wrong.

def refused(answer):
    """A 4xx, or for a request refused before its headers parse, a closed connection."""
    if answer is None or 400 <= answer.status < 500:
        return None
    return "expected a 4xx or a closed connection"


def client_error(answer):
    if answer is not None and 400 <= answer.status < 500:
        return None
    return "expected a 4xx"


def status(code):
    def expectation(answer):
        return None if answer is not None and answer.status == code else f"expected {code}"
    return expectation


def refused_or(code):
    """`refused`, or the status RFC 9110 names for it: 505 for another HTTP version, 501 for a
    transfer coding the server does not implement."""
    def expectation(answer):
        if answer is None or answer.status == code or 400 <= answer.status < 500:
            return None
        return f"expected a 4xx, {code} or a closed connection"
    return expectation


def without(secret, expectation):
    """`expectation`, and no trace of `secret` in the answer."""
    def check_both(answer):
        if answer is not None and secret in answer.body + repr(answer.headers).encode():
            return f"the answer holds {secret[:20]!r}"
        return expectation(answer)
    return check_both


def any_of(*expectations):
    def expectation(answer):
        problems = [expect(answer) for expect in expectations]
        return None if None in problems else " or ".join(problems)
    return expectation


def whole_or_range(body):
    """RFC 9110 §14: an invalid Range is ignored (200, the whole file), an unsatisfiable one gets
    416 with `bytes */SIZE`, a satisfiable one 206 with exactly the bytes it names; several ranges
    in multipart/byteranges must not amplify (at most the file and 64 KiB of part headers)."""
    def expectation(answer):
        if answer is None:
            return "closed without an answer"
        content_range = answer.headers.get("content-range", "")
        if answer.status == 200:
            return None if answer.body == body else "200 with other bytes than the file's"
        if answer.status == 416:
            return None if content_range == f"bytes */{len(body)}" else f"416 with Content-Range {content_range!r}"
        if answer.status == 206 and "multipart/byteranges" in answer.headers.get("content-type", ""):
            return None if len(answer.body) <= len(body) + 65536 else f"206 of {len(answer.body)} bytes: amplified"
        if answer.status == 206:
            match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", content_range)
            if match and int(match[3]) == len(body) and answer.body == body[int(match[1]):int(match[2]) + 1]:
                return None
            return f"206 whose bytes do not match Content-Range {content_range!r}"
        return "expected 200, 206 or 416"
    return expectation


def stored_harmlessly(sweep, body):
    """A 4xx, or a 201 for a file that passes Sweep.harmless."""
    def expectation(answer):
        if answer is not None and 400 <= answer.status < 500:
            return None
        if answer is None or answer.status != 201:
            return "expected 201 or a 4xx"
        return sweep.harmless(answer, body)
    return expectation


def normalised(path):
    """`path` as browsers and curl resolve it (RFC 3986 §5.2.4, and `%2e` as a dot as WHATWG does)."""
    segments = path.split("/")[1:]
    kept = []
    for index, segment in enumerate(segments):
        dots = segment.lower().replace("%2e", ".")
        last = index == len(segments) - 1
        if dots in (".", ".."):
            if dots == ".." and kept:
                kept.pop()
            if last:
                kept.append("")
        else:
            kept.append(segment)
    return "/" + "/".join(kept)


def disposition_problem(value):
    """What in a Content-Disposition could act as a path for a client that saves under the name
    as given: a separator, a control character, `.` or `..` (in `filename` or `filename*`)."""
    if not value:
        return "no Content-Disposition"
    names = re.findall(r'filename="([^"]*)"', value)
    names += [urllib.parse.unquote(encoded) for encoded in re.findall(r"filename\*=UTF-8''([^;\s]*)", value, re.I)]
    for name in names:
        if re.search(r"[/\\\x00-\x1f\x7f]", name) or name in (".", ".."):
            return f"Content-Disposition names a path: {value}"
    return None


# The sweep -----------------------------------------------------------------------------------

class Sweep:
    """Runs the cases and keeps what the final accounting needs: the failures, the files stored
    on purpose, and which case sent which file name."""

    def __init__(self, server):
        self.server = server
        self.count = 0
        self.failures = []
        self.kept = set()        # ids of the files that must be stored at the end
        self.may_vanish = set()  # used-up files: the sweeper removes them within a minute
        self.labels = {}         # file name a case sent -> the case

    def report(self, label, shown, problem):
        self.count += 1
        if problem:
            self.fail(label, f"{shown}: {problem}")
        else:
            step(f"{label}: {shown}")

    def fail(self, label, problem):
        self.failures.append((label, problem))
        print(f"FAIL {label}: {problem}", flush=True)

    def run(self, cases):
        """Runs (label, build, expectation) cases; `build` makes the request from the case's own
        file name, so that anything stored can be traced back to it."""
        for label, build, expectation in cases:
            name = file_name(self.count + 1, label)
            self.labels[name] = self.labels["smuggled-" + name] = label
            try:
                answers = exchange(self.server.port, build(name.encode()))
                problem = expectation(answers[0])
                if not problem and len(answers) > 1:
                    problem = f"a second answer ({answers[1].status}): part of the body ran as a request"
            except (Failure, OSError) as error:
                answers, problem = [None], str(error)
            check(self.server.process.poll() is None, f"the server exited at case {label!r}")
            self.report(label, "closed" if answers[0] is None else str(answers[0].status), problem)

    def call(self, data):
        """The answer to a well-formed request, on a connection of its own."""
        answer = exchange(self.server.port, data)[0]
        check(answer is not None, f"the server closed instead of answering {data[:60]!r}")
        return answer

    def upload(self, name, body=BODY, lines=()):
        """Stores a file on purpose; returns (link path, delete path)."""
        answer = self.call(request(b"PUT /" + name.encode() + b" HTTP/1.1", lines, body))
        check(answer.status == 201, f"the upload of {name} answered {answer.status}: {answer.body[:200]!r}")
        path = urllib.parse.urlsplit(answer.headers["location"]).path
        self.kept.add(path.split("/")[1])
        return path, urllib.parse.urlsplit(answer.headers["x-url-delete"]).path

    def get(self, path, method=b"GET", lines=()):
        return self.call(request(method + b" " + path.encode() + b" HTTP/1.1", lines))

    def harmless(self, answer, body):
        """Whether an accepted hostile name stayed a display name: the file is under a random id,
        its links survive dot-segment normalisation, its link gives `body` back, and its
        Content-Disposition names no path."""
        link = answer.headers.get("x-url") or answer.headers.get("location", "")
        path = urllib.parse.urlsplit(link).path
        file_id = path.split("/")[1]
        self.kept.add(file_id)
        problems = []
        if not re.fullmatch(r"[A-Za-z0-9_-]{22,}", file_id):
            problems.append(f"id {file_id!r} is not a random id")
        for url in (link, answer.headers.get("x-url-delete", "")):
            written = urllib.parse.urlsplit(url).path
            if normalised(written) != written:
                problems.append(f"a client turns the link {written} into {normalised(written)}")
        download = self.get(path)
        if download.status != 200 or download.body != body:
            problems.append(f"its link {path} answered {download.status} with other bytes")
        else:
            problems.append(disposition_problem(download.headers.get("content-disposition")))
        return "; ".join(problem for problem in problems if problem) or None


# The cases -----------------------------------------------------------------------------------

def traversal_cases(sweep, reference_path, reference):
    harmless = stored_harmlessly(sweep, BODY)
    blob_path = f"/blobs/{reference_path[1:3]}/{reference_path.split('/')[1]}".encode()
    return [
        ("PUT /../../etc/passwd", lambda n: put(b"../../etc/passwd"), client_error),
        ("GET /../../../../etc/passwd", lambda n: request(b"GET /../../../../etc/passwd HTTP/1.1"),
         without(b"root:", client_error)),
        ("GET /%2e%2e/%2e%2e/%2e%2e/etc/passwd", lambda n: request(b"GET /%2e%2e/%2e%2e/%2e%2e/etc/passwd HTTP/1.1"),
         without(b"root:", client_error)),
        ("GET /..%2f..%2f..%2fetc%2fpasswd", lambda n: request(b"GET /..%2f..%2f..%2fetc%2fpasswd HTTP/1.1"),
         without(b"root:", client_error)),
        ("GET with raw backslashes ..\\..\\etc\\passwd", lambda n: request(b"GET /..\\..\\..\\etc\\passwd HTTP/1.1"),
         without(b"root:", refused)),
        ("GET /..%2fsluice.sqlite", lambda n: request(b"GET /..%2fsluice.sqlite HTTP/1.1"),
         without(b"SQLite format", client_error)),
        ("GET a blob by its storage path", lambda n: request(b"GET " + blob_path + b" HTTP/1.1"),
         without(reference[:32], client_error)),
        ("file name ..%2f..%2fetc%2fpasswd", lambda n: put(b"..%2f..%2fetc%2fpasswd"), harmless),
        ("file name %2e%2e%2f%2e%2e%2fetc%2fpasswd", lambda n: put(b"%2e%2e%2f%2e%2e%2fetc%2fpasswd"), harmless),
        ("file name ..%5c..%5cwindows%5cwin.ini", lambda n: put(b"..%5c..%5cwindows%5cwin.ini"), harmless),
        ("file name ..\\..\\boot.ini (raw backslashes)", lambda n: put(b"..\\..\\boot.ini"), harmless),
        ("file name %2fetc%2fpasswd (absolute)", lambda n: put(b"%2fetc%2fpasswd"), harmless),
        ("file name C:%5cWindows%5cwin.ini (absolute)", lambda n: put(b"C:%5cWindows%5cwin.ini"), harmless),
        ("file name .", lambda n: put(b"."), harmless),
        ("file name ..", lambda n: put(b".."), harmless),
        ("file name %2e%2e", lambda n: put(b"%2e%2e"), harmless),
        ("form filename=\"../../etc/passwd\"", lambda n: file_form(b'filename="../../etc/passwd"'), harmless),
        ("form filename=\"/etc/passwd\"", lambda n: file_form(b'filename="/etc/passwd"'), harmless),
        ('form filename="C:\\Windows\\win.ini"', lambda n: file_form(b'filename="C:\\\\Windows\\\\win.ini"'), harmless),
        ("form filename=\"..\"", lambda n: file_form(b'filename=".."'), harmless),
        ("tus filename ../../etc/passwd", lambda n: tus_create(b"filename " + b64(b"../../etc/passwd"), body=BODY),
         harmless),
    ]


def nul_cases():
    return [
        ("NUL in the path (raw)", lambda n: request(b"GET /a\x00b HTTP/1.1"), refused),
        ("NUL in the file name (%00)", lambda n: put(b"a%00" + n), client_error),
        ("NUL in a header value", lambda n: put(n, [b"X-Note: a\x00b"]), refused),
        ("NUL in a header name", lambda n: put(n, [b"X-No\x00te: ab"]), refused),
        ("CR LF in the file name (%0D%0A, response splitting)",
         lambda n: put(b"a%0D%0ASet-Cookie:%20x=1%0D%0A" + n), without(b"x=1", client_error)),
        ("NUL in a form filename (raw)", lambda n: file_form(b'filename="a\x00' + n + b'"'), client_error),
        ("NUL in a form filename* (%00)", lambda n: file_form(b"filename*=UTF-8''a%00" + n), client_error),
        ("NUL in a tus filename", lambda n: tus_create(b"filename " + b64(b"a\x00" + n)), client_error),
    ]


def size_cases():
    return [
        ("request line of 100 KB", lambda n: request(b"GET /" + b"a" * 100_000 + b" HTTP/1.1"), refused),
        ("header of 100 KB", lambda n: put(n, [b"X-Long: " + b"a" * 100_000]), refused),
        ("1000 headers", lambda n: put(n, [b"X-H%d: v" % index for index in range(1000)]), refused),
        ("file name of 1025 bytes", lambda n: put(n + b"a" * 1025), client_error),
        ("form filename of 2000 bytes", lambda n: file_form(b'filename="' + n + b"a" * 2000 + b'"'), client_error),
        ("tus filename of 9000 bytes", lambda n: tus_create(b"filename " + b64(n + b"a" * 9000)), client_error),
        ("tus Upload-Metadata of 100 KB", lambda n: tus_create(b"filename " + b64(n + b"a" * 75_000)), refused),
    ]


def utf8_cases():
    return [
        ("invalid UTF-8 in the file name (%C3%28)", lambda n: put(b"%C3%28" + n), client_error),
        ("invalid UTF-8 in the file name (%FF)", lambda n: put(b"%FF" + n), client_error),
        ("overlong UTF-8 ../ in the file name (%C0%AE%C0%AE%C0%AF)", lambda n: put(b"%C0%AE%C0%AE%C0%AF" + n),
         client_error),
        ("invalid UTF-8 in the path (raw 0xFF)", lambda n: put(b"\xff" + n), refused),
        ("invalid UTF-8 in a download path", lambda n: request(b"GET /%C3%28/%FF HTTP/1.1"), client_error),
        ("invalid UTF-8 in filename*= (%C3%28)", lambda n: file_form(b"filename*=UTF-8''%C3%28" + n), client_error),
        ("invalid UTF-8 in filename*= (%FF)", lambda n: file_form(b"filename*=UTF-8''%FF" + n), client_error),
        ("invalid UTF-8 in a tus filename", lambda n: tus_create(b"filename " + b64(b"\xc3\x28" + n)), client_error),
    ]


def raw_latin1_case(sweep):
    """A raw 0xFF in a quoted form filename: browsers send UTF-8, but RFC 7578 leaves the charset
    open, so reading it as ISO-8859-1 is as fine as refusing it."""
    return [("raw 0xFF in a form filename", lambda n: file_form(b'filename="\xff' + n + b'"'),
             stored_harmlessly(sweep, BODY))]


def gzip_case(sweep):
    """A transfer coding besides chunked: decoded before storing, or refused (RFC 9112 §6.1: 501)."""
    coded = gzip.compress(BODY)
    chunked = b"%x\r\n" % len(coded) + coded + b"\r\n0\r\n\r\n"
    coding = [b"Transfer-Encoding: gzip, chunked"]
    return [("Transfer-Encoding: gzip, chunked",
             lambda n: request(b"PUT /" + n + b" HTTP/1.1", coding, chunked, length=False),
             any_of(refused_or(501), stored_harmlessly(sweep, BODY)))]


def smuggling_cases():
    """Where two readings of the framing disagree, the hidden request is body in one and the next
    request in the other: the server must refuse, and close without reading on."""
    chunked = b"Transfer-Encoding: chunked"

    def length_and_chunked(chunked_first):
        def build(n):
            body = b"0\r\n\r\n" + hidden(n)
            length = b"Content-Length: %d" % len(body)
            return framed(n, [chunked, length] if chunked_first else [length, chunked], body)
        return build

    def two_lengths(n):
        body = BODY + hidden(n)
        return framed(n, [b"Content-Length: 3", b"Content-Length: %d" % len(body)], body)
    return [
        ("Content-Length with Transfer-Encoding: chunked", length_and_chunked(False), refused),
        ("Transfer-Encoding: chunked with Content-Length", length_and_chunked(True), refused),
        ("two different Content-Length headers", two_lengths, refused),
        ("Content-Length: 1, 2", lambda n: framed(n, [b"Content-Length: 1, 2"], b"ab" + hidden(n)), refused),
        ("Transfer-Encoding: chunked, identity",
         lambda n: framed(n, [b"Transfer-Encoding: chunked, identity"], b"3\r\nabc\r\n0\r\n\r\n" + hidden(n)), refused),
        ("chunk size zz", lambda n: framed(n, [chunked], b"zz\r\nabc\r\n0\r\n\r\n" + hidden(n)), refused),
        ("chunk size -3", lambda n: framed(n, [chunked], b"-3\r\nabc\r\n0\r\n\r\n" + hidden(n)), refused),
        ("chunk size ffffffffffffffffff",
         lambda n: framed(n, [chunked], b"ffffffffffffffffff\r\nabc\r\n0\r\n\r\n" + hidden(n)), refused),
        ("chunk size zz after a good chunk (a cut-off body)",
         lambda n: framed(n, [chunked], b"3\r\nabc\r\nzz\r\nabc\r\n0\r\n\r\n" + hidden(n)), refused),
        ("obs-fold continuation line", lambda n: framed(n, [b"X-Note: a", b" b", b"Content-Length: 3"], BODY), refused),
        ("obs-fold in Content-Length", lambda n: framed(n, [b"Content-Length:", b" 3"], BODY + hidden(n)), refused),
        ("bare LF line endings",
         lambda n: b"PUT /" + n + b" HTTP/1.1\nHost: " + HOST + b"\nContent-Length: 3\n\nabc" + hidden(n), refused),
        ("a space before the colon", lambda n: framed(n, [b"Content-Length : 3"], BODY + hidden(n)), refused),
        ("Content-Length: -1", lambda n: framed(n, [b"Content-Length: -1"], BODY + hidden(n)), refused),
        ("Content-Length: 99999999999999999999999",
         lambda n: framed(n, [b"Content-Length: 99999999999999999999999"], BODY + hidden(n)), refused),
    ]


def range_cases(reference_path, reference):
    path = reference_path.encode()
    whole = whole_or_range(reference)

    def ranged(value):
        return lambda n: request(b"GET " + path + b" HTTP/1.1", [b"Range: " + value])
    return [
        ("Range: bytes=-0", ranged(b"bytes=-0"), whole),
        ("Range: bytes=99999999999999999999-", ranged(b"bytes=99999999999999999999-"), whole),
        ("Range: bytes=5-1", ranged(b"bytes=5-1"), whole),
        ("Range: bytes=0-99999999999999999999", ranged(b"bytes=0-99999999999999999999"), whole),
        ("Range: bytes=-99999999999999999999", ranged(b"bytes=-99999999999999999999"), whole),
        ("Range: 1300 ranges of the whole file", ranged(b"bytes=" + b",".join([b"0-"] * 1300)), whole),
        ("Range: 3000 ranges", ranged(b"bytes=" + b",".join(b"%d-%d" % (i, i) for i in range(3000))),
         any_of(refused, whole)),
    ]


def limit_cases():
    def limited(header):
        return lambda n: put(n, [header])
    return [(header.decode(), limited(header), client_error) for header in [
        b"Max-Downloads: -1", b"Max-Downloads: 0", b"Max-Downloads: 1e9", b"Max-Downloads: 99999999999999999999",
        b"Max-Days: 99999999999", b"Max-Days: -1", b"Max-Days: nan", b"Max-Days: inf",
    ]] + [
        ("form field maxDownloads=-1",
         lambda n: form(part(b'name="maxDownloads"', b"-1") + file_part(b'filename="' + n + b'"') + closing()),
         client_error),
        ("form field maxDays=1e400",
         lambda n: form(part(b'name="maxDays"', b"1e400") + file_part(b'filename="' + n + b'"') + closing()),
         client_error),
    ]


def tus_cases(upload_path):
    target = b"PATCH " + upload_path.encode() + b" HTTP/1.1"

    def offset(value):
        return lambda n: tus(target, [b"Upload-Offset: " + value, OFFSET_TYPE], BODY)
    return [
        ("tus Upload-Length: -1", lambda n: tus_create(b"filename " + b64(n), length=b"-1"), client_error),
        ("tus Upload-Length: 99999999999999999999",
         lambda n: tus_create(b"filename " + b64(n), length=b"99999999999999999999"), client_error),
        ("tus Upload-Length past Tus-Max-Size (1 TiB + 1)",
         lambda n: tus_create(b"filename " + b64(n), length=b"1099511627777"), status(413)),
        ("tus Upload-Offset: -5", offset(b"-5"), client_error),
        ("tus Upload-Offset: 99999999999999999999", offset(b"99999999999999999999"), client_error),
        ("tus Upload-Metadata with invalid base64", lambda n: tus_create(b"filename !!!" + n), client_error),
        ("tus Upload-Metadata with duplicate keys",
         lambda n: tus_create(b"filename " + b64(n) + b",filename " + b64(n)), client_error),
        ("tus metadata maxDownloads=-1",
         lambda n: tus_create(b"filename " + b64(n) + b",maxDownloads " + b64(b"-1")), client_error),
        ("tus metadata maxDays=99999999999",
         lambda n: tus_create(b"filename " + b64(n) + b",maxDays " + b64(b"99999999999")), client_error),
    ]


def multipart_cases():
    long = b"b" * 200

    def named(n, boundary=b"B"):
        return part(b'name="file"; filename="' + n + b'"', boundary=boundary)
    return [
        ("multipart without a boundary", lambda n: form(named(n) + closing(), b"multipart/form-data"), client_error),
        ("multipart with an empty boundary",
         lambda n: form(named(n) + closing(), b"multipart/form-data; boundary="), client_error),
        ("multipart with a boundary of 200 characters",
         lambda n: form(named(n, long) + closing(long), b"multipart/form-data; boundary=" + long), client_error),
        ("multipart body that never closes the boundary", lambda n: form(named(n)), client_error),
        ("multipart part with no headers", lambda n: form(b"--B\r\n\r\nabc\r\n" + closing()), client_error),
        ("multipart part headers of 20 KB",
         lambda n: form(b"--B\r\nX-Pad: " + b"p" * 20_000 + b"\r\n" + named(n)[len(b"--B\r\n"):] + closing()),
         client_error),
        ("multipart body of garbage", lambda n: form(b"garbage"), client_error),
    ]


def protocol_cases():
    upgrade = [b"Upgrade: websocket", b"Connection: Upgrade", b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
               b"Sec-WebSocket-Version: 13"]

    def progress_id(value):
        return lambda n: put(n, [b"X-Progress-Id: " + value])

    def subscribe(key):
        return lambda n: request(b"GET /progress/" + key + b" HTTP/1.1", upgrade, close=False)
    return [
        ("method FOO", lambda n: request(b"FOO / HTTP/1.1"), refused),
        ("method TRACE (the cookie must not echo)", lambda n: request(b"TRACE / HTTP/1.1", [b"Cookie: s=s3cr3t"]),
         without(b"s3cr3t", refused)),
        ("method CONNECT (no proxying)", lambda n: request(b"CONNECT example.org:443 HTTP/1.1"), refused),
        ("HTTP/0.9 request line", lambda n: b"GET /\r\n\r\n", refused_or(505)),
        ("HTTP/2.0 request line", lambda n: request(b"GET / HTTP/2.0"), refused_or(505)),
        ("HTTP/2 connection preface", lambda n: b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", refused_or(505)),
        ("two Host headers", lambda n: put(n, [b"Host: other.example"]), client_error),
        ("no Host header", lambda n: b"PUT /" + n + b" HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
         client_error),
        ("X-Progress-Id: ../../etc/x", progress_id(b"../../etc/x"), client_error),
        ("X-Progress-Id of 7 characters", progress_id(b"abcdefg"), client_error),
        ("X-Progress-Id of 129 characters", progress_id(b"a" * 129), client_error),
        ("X-Progress-Id with a space", progress_id(b"abcd efgh"), client_error),
        ("X-Progress-Id in UTF-8", progress_id("abcdéfgh".encode()), client_error),
        ("X-Progress-Id with a NUL", progress_id(b"abcdefgh\x00"), refused),
        ("progress WebSocket for ..%2f..%2fetc%2fpasswd", subscribe(b"..%2f..%2fetc%2fpasswd"), client_error),
        ("progress WebSocket for a 7-character key", subscribe(b"abcdefg"), client_error),
    ]


def delete_cases(reference_delete, other_delete):
    link, _, token = reference_delete.rpartition("/")
    other_token = other_delete.rpartition("/")[2]

    def delete(path):
        return lambda n: request(b"DELETE " + path.encode() + b" HTTP/1.1")
    return [
        ("delete with a wrong token", delete(f"{link}/{secrets.token_urlsafe(16)}"), status(404)),
        ("delete with a short token", delete(f"{link}/{token[:5]}"), status(404)),
        ("delete with an overlong token", delete(f"{link}/{token * 3}"), status(404)),
        ("delete with a token of 4000 characters", delete(f"{link}/{'a' * 4000}"), status(404)),
        ("delete with the token in other case", delete(f"{link}/{token.swapcase()}"), status(404)),
        ("delete with the token and %00", delete(f"{link}/{token}%00"), status(404)),
        ("delete with the token of another file", delete(f"{link}/{other_token}"), status(404)),
        ("delete without a token", delete(link.rpartition("/")[0]), client_error),
    ]


# Beyond single requests -----------------------------------------------------------------------

def tus_untouched(sweep, upload_path):
    answer = sweep.get(upload_path, b"HEAD", [b"Tus-Resumable: 1.0.0"])
    offset = answer.headers.get("upload-offset")
    sweep.report("the tus upload after the hostile PATCHes", f"{answer.status}, offset {offset}",
                 None if answer.status == 200 and offset == "0" else "expected 200 and offset 0")


def enumeration_timing(sweep):
    """Unknown, deleted and used-up links must answer 404 in the same time, so that timing does
    not tell which ids ever existed. Measured on one kept-alive connection, interleaved, in a
    random order each round, after 20 rounds of warm-up."""
    live, _ = sweep.upload("live.txt")
    deleted, delete_path = sweep.upload("deleted.txt")
    check(sweep.call(request(b"DELETE " + delete_path.encode() + b" HTTP/1.1")).status == 200,
          "the delete link did not delete")
    sweep.kept.remove(deleted.split("/")[1])
    used_up, _ = sweep.upload("used-up.txt", lines=[b"Max-Downloads: 1"])
    check(sweep.get(used_up).status == 200, "the one download of the used-up file failed")
    sweep.kept.remove(used_up.split("/")[1])
    sweep.may_vanish.add(used_up.split("/")[1])

    kinds = {
        "unknown": lambda: (b"GET", f"/{secrets.token_urlsafe(16)}/live.txt", 404),
        "deleted": lambda: (b"GET", deleted, 404),
        "used up": lambda: (b"GET", used_up, 404),
        "live HEAD": lambda: (b"HEAD", live, 200),
    }
    times = {kind: [] for kind in kinds}
    wire = Wire(sweep.server.port)
    try:
        for round_number in range(20 + TIMING_ROUNDS):
            for kind in random.sample(list(kinds), len(kinds)):
                method, path, expected = kinds[kind]()
                started = time.perf_counter()
                data = request(method + b" " + path.encode() + b" HTTP/1.1", close=False)
                answer = wire.call(data, head=method == b"HEAD")
                took = time.perf_counter() - started
                check(answer.status == expected, f"{kind} {path} answered {answer.status}, not {expected}")
                if round_number >= 20:
                    times[kind].append(took * 1000)
    finally:
        wire.close()
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    problems = []
    for first, second in (("unknown", "deleted"), ("unknown", "used up"), ("deleted", "used up")):
        a, b = medians[first], medians[second]
        if abs(a - b) > max(TIMING_FLOOR_MS, TIMING_SHARE * min(a, b)):
            problems.append(f"{first} and {second} differ by {abs(a - b):.3f} ms")
    sweep.report(f"404 timing, medians of {TIMING_ROUNDS} interleaved requests",
                 ", ".join(f"{kind} {median:.3f} ms" for kind, median in medians.items()), "; ".join(problems) or None)


def longest_shared_prefix(values):
    ordered = sorted(values)
    return max(len(os.path.commonprefix(pair)) for pair in zip(ordered, ordered[1:]))


def randomness_problem(values):
    """Why `values` do not look like independent strings of >= 128 random bits, or None."""
    alphabet = next((a for a in (BASE64URL, BASE32) if all(set(v) <= set(a) for v in values)), None)
    if alphabet is None:
        return "neither base64url nor base32"
    bits = min(len(v) for v in values) * math.log2(len(alphabet))
    if bits < 128:
        return f"only {bits:.0f} bits written"
    if len(set(values)) != len(values):
        return "repeated"
    shared = longest_shared_prefix(values)
    if shared > MAX_SHARED_PREFIX:
        return f"two share a {shared}-character prefix (chance: below 1e-6)"
    # 200 uniform draws show about 61 of 64 symbols; a clock, counter or fixed part shows few.
    # The last character is left out: it may carry only the bits left over.
    length = min(len(v) for v in values)
    few = [i for i in range(length - 1) if len({v[i] for v in values}) < 0.6 * len(alphabet)]
    return f"positions {few} take few values: not random" if few else None


def id_randomness(sweep):
    """200 uploads of the same name and bytes: ids and delete tokens must not derive from them."""
    ids, tokens = [], []
    for _ in range(ID_UPLOADS):
        path, delete_path = sweep.upload("same.txt", b"same bytes")
        ids.append(path.split("/")[1])
        tokens.append(delete_path.rpartition("/")[2])
    for what, values in (("ids", ids), ("delete tokens", tokens)):
        shown = (f"{len(set(values))} distinct of {len(values)}, {min(map(len, values))}-{max(map(len, values))} "
                 f"characters, longest shared prefix {longest_shared_prefix(values)}")
        sweep.report(f"{what} of {ID_UPLOADS} uploads of the same file", shown, randomness_problem(values))


def outside_layout(server, work):
    """Files under `work` that are neither the log, the database nor in blobs/, tmp/, partial/."""
    data = os.path.relpath(server.data_dir, work)
    allowed = re.compile(re.escape(data) + r"/(sluice\.sqlite(-wal|-shm|-journal)?|(blobs|tmp|partial)/.+)")
    found = []
    for root, _, files in os.walk(work):
        for name in files:
            path = os.path.relpath(os.path.join(root, name), work)
            if path != os.path.relpath(server.log_path, work) and not allowed.fullmatch(path):
                found.append(path)
    return found


def nothing_written(sweep, work):
    """The database and the data directory hold exactly what was stored on purpose; every
    surplus record is traced back to the case that left it."""
    time.sleep(1)  # work a refused request left running ends within milliseconds
    server, kept = sweep.server, sweep.kept
    rows = server.query("SELECT id, name, state FROM files")
    complete = {file_id: name for file_id, name, state in rows if state == "complete"}
    unfinished = {file_id: name for file_id, name, state in rows if state != "complete"}
    for file_id in set(complete) - kept - sweep.may_vanish:
        name = complete[file_id]
        sweep.fail(sweep.labels.get(name, f"a case that sent {name!r}"), f"left the file {file_id} ({name!r}) behind")
    for file_id, name in unfinished.items():
        if name != UNFINISHED:
            sweep.fail(sweep.labels.get(name, f"a case that sent {name!r}"),
                       f"left the unfinished upload {file_id} ({name!r}) behind")
    blobs, tmp, partial = (set(server.stored(folder)) for folder in ("blobs", "tmp", "partial"))
    problems = []
    if kept - set(complete):
        problems.append(f"the records of {sorted(kept - set(complete))} are gone")
    if UNFINISHED not in unfinished.values():
        problems.append("the unfinished tus upload is gone")
    if kept - blobs:
        problems.append(f"blobs/ lacks {sorted(kept - blobs)}")
    if blobs - kept - sweep.may_vanish:
        problems.append(f"blobs/ holds more: {sorted(blobs - kept - sweep.may_vanish)}")
    if tmp:
        problems.append(f"tmp/ holds {sorted(tmp)}")
    if not partial <= set(unfinished):
        problems.append(f"partial/ holds {sorted(partial - set(unfinished))}")
    if outside := outside_layout(server, work):
        problems.append(f"files outside the data layout: {outside}")
    sweep.report("nothing written", f"{len(complete)} records, {len(blobs)} blobs, {len(tmp)} in tmp/, "
                 f"{len(partial)} in partial/", "; ".join(problems) or None)


def still_serving(sweep, reference_path, sha256):
    health = sweep.get("/healthz")
    answer = sweep.get(reference_path)
    intact = answer.status == 200 and hashlib.sha256(answer.body).hexdigest() == sha256
    sweep.report("still serving", f"/healthz {health.status}, the first file {answer.status}",
                 None if health.status == 200 and intact else "expected /healthz 200 and the first file's SHA-256")


def main():
    binary, work, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    server = Instance(binary, work, "hostile", port)

    def checks():
        started = time.monotonic()
        server.start()
        sweep = Sweep(server)
        reference = os.urandom(64 * 1024)
        reference_path, reference_delete = sweep.upload("reference.bin", reference)
        _, other_delete = sweep.upload("other.txt")
        creation = sweep.call(tus_create(b"filename " + b64(UNFINISHED.encode()), length=b"5"))
        check(creation.status == 201, f"the tus creation answered {creation.status}")
        upload_path = urllib.parse.urlsplit(creation.headers["location"]).path
        note(f"on purpose: {reference_path} (64 KiB), another file, an unfinished tus upload {upload_path}")

        for cases in (traversal_cases(sweep, reference_path, reference), nul_cases(), size_cases(), utf8_cases(),
                      raw_latin1_case(sweep), smuggling_cases(), gzip_case(sweep),
                      range_cases(reference_path, reference), limit_cases(), tus_cases(upload_path),
                      multipart_cases(), protocol_cases(), delete_cases(reference_delete, other_delete)):
            sweep.run(cases)
        tus_untouched(sweep, upload_path)
        enumeration_timing(sweep)
        id_randomness(sweep)
        nothing_written(sweep, work)
        still_serving(sweep, reference_path, hashlib.sha256(reference).hexdigest())

        failed = {label for label, _ in sweep.failures}
        note(f"{sweep.count} cases in {time.monotonic() - started:.1f} s, {len(failed)} failed")
        check(not failed, f"{len(failed)} of {sweep.count} cases failed:\n" + "\n".join(
            f"     {label}: {problem}" for label, problem in sweep.failures))

    run_checks([server], checks, "hostile input test passed")


if __name__ == "__main__":
    main()
