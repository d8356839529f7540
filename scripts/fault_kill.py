"""SIGKILL in the middle of 20 concurrent uploads and downloads (scripts/fault-kill).

The server is killed while 14 PUTs and 6 slow downloads run and a tus upload is half done; it is
started again on the same data directory. Every upload that got a 201 must be intact (SHA-256),
no other may be visible, no temporary file or blob without a complete record may remain after
start-up recovery and the first sweep, and the tus upload must resume and finish.
"""

import hashlib
import os
import random
import sys
import threading
import time
import urllib.parse

from instances import Instance, run_checks
from steps import MIB, check, note, step


def put(server, name, body, pace, results):
    """PUTs `body` 256 KiB at a time, sleeping `pace` s between pieces; records the answer."""
    try:
        connection = server.connection()
        connection.putrequest("PUT", "/" + name)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        for start in range(0, len(body), 256 * 1024):
            connection.send(body[start:start + 256 * 1024])
            time.sleep(pace)
        response = connection.getresponse()
        results[name] = (response.status, response.read().decode().strip())
    except OSError as error:
        results[name] = (None, str(error))


def slow_download(server, path, results):
    try:
        connection = server.connection()
        connection.request("GET", path)
        response = connection.getresponse()
        received = 0
        while piece := response.read(256 * 1024):
            received += len(piece)
            time.sleep(0.1)
        results[path] = "complete" if received == int(response.getheader("Content-Length")) else "cut"
    except OSError:
        results[path] = "cut"


def records(server):
    """(id, state, resumable) of every record."""
    return server.query("SELECT id, state, resumable FROM files")


def main():
    binary, work, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    server = Instance(binary, work, "killed", port)

    def checks():
        server.start()
        kept = {}
        for index in range(6):
            body = os.urandom(24 * MIB)
            status, _, answer = server.request("PUT", f"/kept-{index}.bin", {"Content-Length": str(len(body))}, body)
            check(status == 201, f"a file before the kill answered {status}")
            kept[urllib.parse.urlsplit(answer.decode().strip()).path] = hashlib.sha256(body).hexdigest()
        tus_body = os.urandom(12 * MIB)
        status, headers, _ = server.request("POST", "/files/", {"Tus-Resumable": "1.0.0", "Upload-Length": str(len(tus_body))})
        check(status == 201, f"tus creation answered {status}")
        tus = urllib.parse.urlsplit(headers["Location"]).path
        status, _, _ = server.request("PATCH", tus, {
            "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream",
        }, tus_body[:5 * MIB])
        check(status == 204, f"the first PATCH answered {status}")
        step("before the kill: 6 files of 24 MiB stored, a tus upload at 5 of 12 MiB")

        uploads, downloads, bodies, threads = {}, {}, {}, []
        for index in range(14):
            name = f"racing-{index}.bin"
            bodies[name] = os.urandom(random.randint(2, 32) * MIB // 2)
            threads.append(threading.Thread(target=put, args=(server, name, bodies[name], random.choice([0, 0.05, 0.1]), uploads)))
        for path in kept:
            threads.append(threading.Thread(target=slow_download, args=(server, path, downloads)))
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        server.kill()
        for thread in threads:
            thread.join(timeout=30)
        acknowledged = {name: link for name, (status, link) in uploads.items() if status == 201}
        note(f"killed with SIGKILL: {len(acknowledged)} of 14 uploads had their 201, "
             f"{sum(1 for r in downloads.values() if r == 'cut')} of 6 downloads were cut")

        server.start()
        deadline = time.time() + 20
        while any(state != "complete" and not resumable for _, state, resumable in records(server)):
            check(time.time() < deadline, f"interrupted uploads still recorded 20 s after the restart: {records(server)}")
            time.sleep(0.2)
        for name, link in acknowledged.items():
            status, _, body = server.request("GET", urllib.parse.urlsplit(link).path)
            check(status == 200 and body == bodies[name], f"acknowledged upload {name} answered {status} or differs")
        for path, digest in kept.items():
            status, _, body = server.request("GET", path)
            check(status == 200 and hashlib.sha256(body).hexdigest() == digest, f"{path} answered {status} or differs")
        complete = sorted(row[0] for row in records(server) if row[1] == "complete")
        known = {urllib.parse.urlsplit(link).path.split("/")[1] for link in list(acknowledged.values()) + list(kept)}
        check(known <= set(complete), "an acknowledged upload has no complete record")
        # An upload may complete in the instant between its commit and its answer: then it must
        # be whole (the only other thing the promise allows).
        unanswered = set(complete) - known
        for file_id, name in (row for row in server.query("SELECT id, name FROM files") if row[0] in unanswered):
            status, _, body = server.request("GET", f"/{file_id}/{urllib.parse.quote(name)}")
            check(status == 200 and body == bodies.get(name), f"unacknowledged {name} is visible and not whole")
            note(f"{name} completed as the server died, before its 201 went out: whole")
        check(server.stored("blobs") == complete, "blobs/ holds other files than the complete records'")
        check(server.stored("tmp") == [], f"tmp/ still holds {server.stored('tmp')}")
        step(f"after the restart: the {len(acknowledged)} acknowledged uploads and the 6 older files are intact; "
             "nothing else is recorded or stored, tmp/ is empty")

        status, headers, _ = server.request("HEAD", tus, {"Tus-Resumable": "1.0.0"})
        offset = int(headers.get("Upload-Offset", "-1"))
        check(status == 200 and offset == 5 * MIB, f"the tus upload after the restart: {status}, offset {offset}")
        status, headers, _ = server.request("PATCH", tus, {
            "Tus-Resumable": "1.0.0", "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream",
        }, tus_body[offset:])
        check(status == 204, f"the resuming PATCH answered {status}")
        status, _, body = server.request("GET", urllib.parse.urlsplit(headers["X-Url"]).path)
        check(status == 200 and body == tus_body, "the resumed tus upload differs")
        step("the tus upload resumed from 5 MiB after the restart and finished intact")

    run_checks([server], checks, "kill fault test passed")

if __name__ == "__main__":
    main()
