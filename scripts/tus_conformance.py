#!/usr/bin/env python3
"""tus 1.0.0 conformance run of Sluice's /files/ with the official Python client tuspy.

Usage: tus_conformance.py URL [--work-dir DIR] [--timeout SECONDS]
URL is the tus endpoint, e.g. http://127.0.0.1:8080/files/. Written against tuspy 1.1.0
(module tusclient); run it through scripts/tus-conformance, which sets up the venv and server.
Prints one line per step and exits non-zero on the first failure.
"""

import argparse
import hashlib
import os
import re
import shutil
import signal
import sys
import tempfile
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from importlib.metadata import version
from urllib.parse import unquote, urlsplit

import requests
from tusclient import client as tus_client
from tusclient.exceptions import TusCommunicationError
from tusclient.storage.filestorage import FileStorage
from tusclient.uploader import Uploader
from steps import MIB, Failure, check, make_file, step


BIG_SIZE = 50 * MIB
BIG_CHUNK = 5 * MIB
SMALL_SIZE = 3 * MIB
SMALL_CHUNK = 1 * MIB
FILENAME = "конформность.bin"
METADATA = {"filename": FILENAME, "filetype": "application/octet-stream"}
TUS = {"Tus-Resumable": "1.0.0"}
EXTENSIONS = ["creation", "creation-with-upload", "creation-defer-length",
              "termination", "expiration", "checksum"]
HTTP_TIMEOUT = 120



# tuspy's checksum extension always uses BaseUploader.CHECKSUM_ALGORITHM_PAIR (sha1); the
# constructor reads it from the class, so a subclass picks another algorithm.
class Sha256Uploader(Uploader):
    CHECKSUM_ALGORITHM_PAIR = ("sha256", hashlib.sha256)


class Md5Uploader(Uploader):
    CHECKSUM_ALGORITHM_PAIR = ("md5", hashlib.md5)


class WrongSha1Uploader(Uploader):
    """Sends an Upload-Checksum that does not match the chunk."""
    CHECKSUM_ALGORITHM_PAIR = ("sha1", lambda data: hashlib.sha1(data + b"tampered"))



def header_list(value):
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def head(upload_url):
    resp = requests.head(upload_url, headers=TUS, timeout=HTTP_TIMEOUT)
    check(resp.status_code in (200, 204), f"HEAD {upload_url}: status {resp.status_code}")
    check(resp.headers.get("Tus-Resumable") == "1.0.0",
          f"HEAD {upload_url}: Tus-Resumable is {resp.headers.get('Tus-Resumable')!r}, want '1.0.0'")
    check("no-store" in resp.headers.get("Cache-Control", ""),
          f"HEAD {upload_url}: Cache-Control is {resp.headers.get('Cache-Control')!r}, want no-store")
    return resp


def check_options(url):
    resp = requests.options(url, timeout=HTTP_TIMEOUT)
    check(resp.status_code in (200, 204), f"OPTIONS {url}: status {resp.status_code}")
    versions = header_list(resp.headers.get("Tus-Version"))
    check("1.0.0" in versions, f"OPTIONS: Tus-Version {versions} lacks 1.0.0")
    extensions = header_list(resp.headers.get("Tus-Extension"))
    missing = [e for e in EXTENSIONS if e not in extensions]
    check(not missing, f"OPTIONS: Tus-Extension {extensions} lacks {missing}")
    algorithms = header_list(resp.headers.get("Tus-Checksum-Algorithm"))
    for name in ("sha1", "sha256"):
        check(name in algorithms, f"OPTIONS: Tus-Checksum-Algorithm {algorithms} lacks {name}")
    max_size = resp.headers.get("Tus-Max-Size", "")
    check(max_size.isdigit(), f"OPTIONS: Tus-Max-Size is {max_size!r}, want an integer")
    step(f"0 OPTIONS: Tus-Version {','.join(versions)}; Tus-Extension {','.join(extensions)}; "
         f"Tus-Checksum-Algorithm {','.join(algorithms)}; Tus-Max-Size {max_size}")
    return algorithms


def check_finished(upload_url, size, sha256, name=None, patch_x_url=None):
    """HEAD the finished upload, then download its X-Url and compare. Returns the X-Url."""
    resp = head(upload_url)
    offset, length = resp.headers.get("Upload-Offset"), resp.headers.get("Upload-Length")
    check(offset == str(size) and length == str(size),
          f"HEAD: Upload-Offset {offset!r}, Upload-Length {length!r}, want both {size}")
    x_url = resp.headers.get("X-Url")
    check(x_url, "HEAD of a finished upload: no X-Url header")
    check(resp.headers.get("X-Url-Delete"), "HEAD of a finished upload: no X-Url-Delete header")
    if patch_x_url is not None:
        check(patch_x_url == x_url, f"X-Url of the last PATCH {patch_x_url!r} != HEAD's {x_url!r}")
    if name is not None:
        last = unquote(urlsplit(x_url).path.rsplit("/", 1)[-1])
        check(last == name, f"X-Url {x_url!r} ends in {last!r}, want {name!r}")

    digest, received = hashlib.sha256(), 0
    with requests.get(x_url, stream=True, timeout=HTTP_TIMEOUT) as got:
        check(got.status_code == 200, f"GET {x_url}: status {got.status_code}")
        for block in got.iter_content(MIB):
            digest.update(block)
            received += len(block)
        disposition = got.headers.get("Content-Disposition", "")
    check(received == size, f"GET {x_url}: {received} bytes, want {size}")
    check(digest.hexdigest() == sha256,
          f"GET {x_url}: SHA-256 {digest.hexdigest()} != the file's {sha256}")
    if name is not None:
        match = re.search(r"filename\*\s*=\s*([^;]+)", disposition)
        check(match, f"Content-Disposition {disposition!r} has no filename*")
        value = match.group(1).strip()
        parts = value.split("'", 2)
        check(len(parts) == 3 and parts[0].lower() == "utf-8",
              f"Content-Disposition filename* {value!r} is not UTF-8''...")
        check(value.isascii() and " " not in value and '"' not in value,
              f"Content-Disposition filename* {value!r} is not percent-encoded")
        decoded = unquote(parts[2], encoding="utf-8", errors="strict")
        check(decoded == name, f"Content-Disposition filename* decodes to {decoded!r}, want {name!r}")
    return x_url


def resumable_upload(url, work):
    path = os.path.join(work, "big.bin")
    sha256 = make_file(path, BIG_SIZE)
    storage_path = os.path.join(work, "tus-urls.json")

    # 1. Four chunks of 5 MiB, then stop as if the client had died.
    storage = FileStorage(storage_path)
    uploader = tus_client.TusClient(url).uploader(
        file_path=path, chunk_size=BIG_CHUNK, metadata=METADATA,
        store_url=True, url_storage=storage)
    check(uploader.url is None, f"fresh FileStorage already knew an upload URL {uploader.url!r}")
    for _ in range(4):
        uploader.upload_chunk()
    check(uploader.offset == 4 * BIG_CHUNK,
          f"offset after 4 chunks is {uploader.offset}, want {4 * BIG_CHUNK}")
    first_url = uploader.url
    check(first_url and first_url.startswith(("http://", "https://")),
          f"upload URL {first_url!r} is not absolute")
    check(storage.get_item(uploader._get_fingerprint()) == first_url,
          "FileStorage did not store the upload URL")
    expires = uploader.request.response_headers.get("upload-expires")
    check(expires, "PATCH response of an unfinished upload has no Upload-Expires")
    try:
        when = parsedate_to_datetime(expires)
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        when = None
    check(when is not None and when > datetime.now(timezone.utc),
          f"Upload-Expires {expires!r} is not a future RFC 9110 date")
    offset = head(first_url).headers.get("Upload-Offset")
    check(offset == str(4 * BIG_CHUNK), f"HEAD after 4 chunks: Upload-Offset {offset!r}")
    storage.close()
    step(f"1 created {first_url}, 4 chunks of 5 MiB uploaded, offset 20 MiB "
         f"(HEAD agrees), Upload-Expires {expires}")

    # 2. A new client and uploader over the same URL storage file resume where it stopped.
    storage = FileStorage(storage_path)
    resumed = tus_client.TusClient(url).uploader(
        file_path=path, chunk_size=BIG_CHUNK, metadata=METADATA,
        store_url=True, url_storage=storage)
    check(resumed.url == first_url,
          f"resumed uploader's URL {resumed.url!r} != the first {first_url!r}")
    check(resumed.offset == 4 * BIG_CHUNK,
          f"resumed uploader starts at {resumed.offset}, want {4 * BIG_CHUNK}")
    check(resumed.get_offset() == 4 * BIG_CHUNK, "get_offset() of the resumed upload is not 20 MiB")
    resumed.upload()
    check(resumed.offset == BIG_SIZE, f"offset after upload() is {resumed.offset}, want {BIG_SIZE}")
    patch_x_url = resumed.request.response_headers.get("x-url")
    check(patch_x_url, "the PATCH that stored the last byte carries no X-Url")
    storage.close()
    step("2 new client resumed the same URL from 20 MiB and uploaded the remaining 30 MiB")

    # 3. The finished upload is a normal file under its X-Url.
    x_url = check_finished(first_url, BIG_SIZE, sha256, FILENAME, patch_x_url)
    step(f"3 HEAD: Upload-Offset = Upload-Length = {BIG_SIZE}; GET {x_url}: SHA-256 matches, "
         f"Content-Disposition filename* is UTF-8 {FILENAME}")


def checksum_uploads(url, work, algorithms):
    path = os.path.join(work, "small.bin")
    sha256 = make_file(path, SMALL_SIZE)
    client = tus_client.TusClient(url)

    # sha1 is tuspy's own upload_checksum=True; the subclasses only swap the algorithm.
    cases = [("sha1", client.uploader), ("sha256", Sha256Uploader)]
    if "md5" in algorithms:
        cases.append(("md5", Md5Uploader))
    else:
        print("skip 4 md5: not in Tus-Checksum-Algorithm", flush=True)
    for name, make in cases:
        uploader = make(file_path=path, client=client, chunk_size=SMALL_CHUNK,
                        metadata={"filename": f"checksum-{name}.bin"}, upload_checksum=True)
        uploader.upload()
        sent = uploader.request._request_headers.get("upload-checksum", "")
        check(sent.startswith(name + " "), f"tuspy sent Upload-Checksum {sent!r}, want {name} ...")
        check(uploader.offset == SMALL_SIZE, f"{name}: offset {uploader.offset}, want {SMALL_SIZE}")
        x_url = check_finished(uploader.url, SMALL_SIZE, sha256, f"checksum-{name}.bin")
        step(f"4 3 MiB in 1 MiB chunks with Upload-Checksum {name}: download at {x_url} matches")

    # A wrong checksum gets 460, the chunk is discarded; then terminate the upload.
    uploader = WrongSha1Uploader(file_path=path, client=client, chunk_size=SMALL_CHUNK,
                                 metadata={"filename": "wrong-checksum.bin"}, upload_checksum=True)
    try:
        uploader.upload_chunk()
        raise Failure("a PATCH with a wrong sha1 Upload-Checksum was accepted")
    except TusCommunicationError as error:
        check(error.status_code == 460, f"wrong checksum: status {error.status_code}, want 460")
    offset = head(uploader.url).headers.get("Upload-Offset")
    check(offset == "0", f"after the 460 Upload-Offset is {offset!r}, want '0'")
    resp = requests.delete(uploader.url, headers=TUS, timeout=HTTP_TIMEOUT)
    check(resp.status_code == 204, f"DELETE (termination): status {resp.status_code}, want 204")
    resp = requests.head(uploader.url, headers=TUS, timeout=HTTP_TIMEOUT)
    check(resp.status_code == 404, f"HEAD after termination: status {resp.status_code}, want 404")
    step("4 wrong sha1 checksum: 460, offset stays 0; DELETE terminates (204), then HEAD 404")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="tus endpoint, e.g. http://127.0.0.1:8080/files/")
    parser.add_argument("--work-dir", help="where the test files go (default: a temp dir, removed)")
    parser.add_argument("--timeout", type=int, default=900, help="give up after this many seconds")
    args = parser.parse_args()

    def on_alarm(signum, frame):
        raise Failure(f"timed out after {args.timeout} s")
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(args.timeout)

    print(f"tus conformance of {args.url} with tuspy {version('tuspy')}", flush=True)

    work = args.work_dir or tempfile.mkdtemp(prefix="sluice-tus-")
    work = os.path.join(work, "client") if args.work_dir else work
    os.makedirs(work, exist_ok=True)
    try:
        algorithms = check_options(args.url)
        resumable_upload(args.url, work)
        checksum_uploads(args.url, work, algorithms)
    except Failure as error:
        print(f"FAIL {error}", flush=True)
        return 1
    except (TusCommunicationError, requests.RequestException) as error:
        detail = getattr(error, "status_code", None)
        body = getattr(error, "response_content", None)
        print(f"FAIL {type(error).__name__}: {error}"
              + (f" (status {detail}, body {body[:200]!r})" if detail else ""), flush=True)
        return 1
    finally:
        signal.alarm(0)
        shutil.rmtree(work, ignore_errors=True)
    print("tus conformance: all steps passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
