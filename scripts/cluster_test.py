"""Two `sluice serve` processes on one PostgreSQL database and one S3 bucket (scripts/cluster-test).

Upload on one, download on the other; progress of an upload on one watched on the other; a tus
upload started on one, that instance killed with SIGKILL mid-PATCH, resumed on the other; the
killed instance restarted; a delete on one seen on the other.
"""

import hashlib
import json
import os
import sys
import threading
import time
import urllib.parse
import uuid

import websocket

from instances import Instance, run_checks
from steps import MIB, check, make_file, note, step


def path_of(link):
    return urllib.parse.urlsplit(link).path


def put_file(instance, path, name, headers=None, pace=None):
    """PUTs the file at `path` as `name`, 1 MiB at a time (sleeping `pace` s between MiBs);
    returns the JSON answer."""
    connection = instance.connection()
    connection.putrequest("PUT", "/" + urllib.parse.quote(name))
    connection.putheader("Content-Length", str(os.path.getsize(path)))
    connection.putheader("Accept", "application/json")
    for key, value in (headers or {}).items():
        connection.putheader(key, value)
    connection.endheaders()
    with open(path, "rb") as f:
        while block := f.read(MIB):
            connection.send(block)
            if pace:
                time.sleep(pace)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    check(response.status == 201, f"PUT on {instance.name} answered {response.status}: {body[:200]!r}")
    return json.loads(body)


def sha256_of_download(instance, path):
    status, _, body = instance.request("GET", path)
    check(status == 200, f"GET {path} on {instance.name} answered {status}")
    return hashlib.sha256(body).hexdigest()


def upload_here_download_there(a, b, work):
    digest = make_file(os.path.join(work, "plain.bin"), 20 * MIB)
    answer = put_file(a, os.path.join(work, "plain.bin"), "plain.bin")
    check(sha256_of_download(b, path_of(answer["url"])) == digest, "the download on b differs from the upload on a")
    step("a 20 MiB PUT on a downloads byte for byte from b")
    return answer


def progress_crosses(a, b, work):
    make_file(os.path.join(work, "watched.bin"), 24 * MIB)
    key = "cluster-" + uuid.uuid4().hex[:16]
    messages = []
    socket = websocket.create_connection(f"ws://127.0.0.1:{b.port}/progress/{key}", timeout=60)

    def read_all():
        try:
            while True:
                opcode, data = socket.recv_data()
                if opcode != websocket.ABNF.OPCODE_TEXT:
                    return
                messages.append(json.loads(data))
        except websocket.WebSocketConnectionClosedException:
            return

    reader = threading.Thread(target=read_all)
    reader.start()
    answer = put_file(a, os.path.join(work, "watched.bin"), "watched.bin", {"X-Progress-Id": key}, pace=0.1)
    reader.join(timeout=30)
    socket.close()
    check(messages, "the watcher on b got no message")
    moving = [m for m in messages if m["state"] == "uploading" and 0 < m["received"] < 24 * MIB]
    check(len(moving) >= 3, f"only {len(moving)} intermediate updates reached b")
    received = [m["received"] for m in messages]
    check(received == sorted(received), "progress went backwards on b")
    check(messages[-1]["state"] == "done" and messages[-1]["url"] == answer["url"], f"last message on b: {messages[-1]}")
    step(f"progress of a PUT on a reaches a watcher on b ({len(moving)} updates on the way, then done)")


def tus_survives_sigkill(a, b, work):
    size = 48 * MIB
    digest = make_file(os.path.join(work, "resumed.bin"), size)
    status, headers, _ = a.request("POST", "/files/", {
        "Tus-Resumable": "1.0.0", "Upload-Length": str(size), "Upload-Metadata": "filename cmVzdW1lZC5iaW4=",
    })
    check(status == 201, f"tus creation on a answered {status}")
    upload = path_of(headers["Location"])
    with open(os.path.join(work, "resumed.bin"), "rb") as f:
        first = f.read(16 * MIB)
    status, headers, _ = a.request("PATCH", upload, {
        "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream",
    }, first)
    check(status == 204 and headers["Upload-Offset"] == str(16 * MIB), f"first PATCH on a: {status}")

    # A second PATCH streams slowly into a, which dies mid-body.
    connection = a.connection()
    connection.putrequest("PATCH", upload)
    for key, value in {"Tus-Resumable": "1.0.0", "Upload-Offset": str(16 * MIB),
                       "Content-Type": "application/offset+octet-stream",
                       "Content-Length": str(size - 16 * MIB)}.items():
        connection.putheader(key, value)
    connection.endheaders()
    with open(os.path.join(work, "resumed.bin"), "rb") as f:
        f.seek(16 * MIB)
        started = time.time()
        while time.time() - started < 8:
            connection.send(f.read(MIB // 4))
            time.sleep(0.1)
    a.kill()
    connection.close()
    note(f"a killed with SIGKILL 8 s into the second PATCH")

    status, headers, _ = b.request("HEAD", upload, {"Tus-Resumable": "1.0.0"})
    check(status == 200, f"HEAD on b answered {status}")
    offset = int(headers["Upload-Offset"])
    check(16 * MIB < offset < size, f"the offset b reports is {offset}: no checkpoint of the killed PATCH survived")
    note(f"b reports offset {offset / MIB:.2f} MiB (a checkpointed it before dying)")
    with open(os.path.join(work, "resumed.bin"), "rb") as f:
        f.seek(offset)
        rest = f.read()
    waited = time.time()
    while True:
        status, headers, _ = b.request("PATCH", upload, {
            "Tus-Resumable": "1.0.0", "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream",
        }, rest)
        if status != 409 or time.time() - waited > 90:
            break
        time.sleep(2)
    check(status == 204, f"the resuming PATCH on b answered {status}")
    note(f"b took the upload over after {time.time() - waited:.0f} s (the dead instance's lease had to run out)")
    link = headers.get("X-Url")
    check(link and sha256_of_download(b, path_of(link)) == digest, "the resumed upload differs from the file")
    step("a tus upload begun on a, a killed mid-PATCH, finishes on b with the right SHA-256")


def restart_and_delete(a, b, answer):
    a.start()
    status, _, _ = a.request("DELETE", path_of(answer["deleteUrl"]))
    check(status == 200, f"DELETE on a answered {status}")
    status, _, _ = b.request("GET", path_of(answer["url"]))
    check(status == 404, f"after the delete on a, b answered {status}")
    step("a restarted after SIGKILL serves again; a delete on a is a 404 on b")


def operations(a, b):
    for instance in (a, b):
        status, _, _ = instance.request("GET", "/healthz")
        check(status == 200, f"/healthz on {instance.name}: {status}")
        status, _, body = instance.request("GET", "/metrics")
        check(status == 200 and b"sluice_bytes_in_total" in body, f"/metrics on {instance.name}: {status}")
    step("/healthz and /metrics answer on both")


def main():
    binary, work = sys.argv[1], sys.argv[2]
    name = "cluster_" + uuid.uuid4().hex[:12]
    database = os.environ["SLUICE_TEST_DATABASE"] + f"?search_path={name}"
    endpoint = os.environ["SLUICE_TEST_S3_ENDPOINT"]
    storage = f"s3://sluice-cluster/{name}/?endpoint={endpoint}&region=us-east-1"
    ports = [int(p) for p in sys.argv[3:5]]
    a = Instance(binary, work, "a", ports[0], database, storage)
    b = Instance(binary, work, "b", ports[1], database, storage)

    def checks():
        a.start()
        b.start()
        step(f"two instances up on ports {ports[0]} and {ports[1]}, schema and key prefix {name}")
        answer = upload_here_download_there(a, b, work)
        progress_crosses(a, b, work)
        tus_survives_sigkill(a, b, work)
        restart_and_delete(a, b, answer)
        operations(a, b)

    run_checks([a, b], checks, "cluster test passed")


if __name__ == "__main__":
    main()
