"""Part 2 of scripts/bench: many slow uploads at once, and how quickly the server still answers.

N clients each PUT a file of SIZE MiB, throttled to RATE MiB/s, all at once over their own
connections, while a probe GETs a small URL every 50 ms on a fresh connection. The probe runs
in a process of its own, so that the clients' busy event loop does not delay it. Prints one JSON
line: total MB/s (all bytes over the wall time from the first connection to the last answer),
failed uploads, and the probe's latency p50/p99/max in ms (a failed probe counts as infinite;
"probe_failures" counts them). Afterwards, untimed, it deletes what it stored through the
`X-Url-Delete` links a Sluice gives.

Usage: bench_load.py HOST PORT UPLOAD_PATH_PREFIX PROBE_PATH N SIZE_MIB RATE_MIB_S
"""

import asyncio
import json
import multiprocessing
import os
import resource
import sys
import time

PIECE = 64 * 1024
PROBE_EVERY = 0.05


async def exchange(host, port, head, body=b"", rate=None):
    """Sends `head` and `body` (at most `rate` bytes/s) on a new connection; returns the status
    and the header block of the answer."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(head)
        start = time.monotonic()
        for offset in range(0, len(body), PIECE):
            writer.write(body[offset:offset + PIECE])
            await writer.drain()
            ahead = (offset + PIECE) / rate - (time.monotonic() - start)
            if ahead > 0:
                await asyncio.sleep(ahead)
        answer = await reader.read()  # to the close, so that the whole answer was sent
        head, _, _ = answer.partition(b"\r\n\r\n")
        return int(head.split()[1]), head.decode("latin-1")
    finally:
        writer.close()


async def upload(host, port, path, body, rate):
    head = (f"PUT {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n").encode()
    try:
        status, answer = await exchange(host, port, head, body, rate)
    except (OSError, ValueError, IndexError):
        return None
    if status not in (200, 201, 204):
        return None
    return next((line.split(":", 1)[1].strip() for line in answer.split("\r\n")
                 if line.lower().startswith("x-url-delete:")), "")


async def delete(host, port, url):
    path = "/" + url.split("/", 3)[3]
    await exchange(host, port, f"DELETE {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())


async def probe(host, port, path, stop, latencies):
    head = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode()
    while not stop.is_set():
        start = time.monotonic()
        try:
            ok = (await exchange(host, port, head))[0] == 200
        except (OSError, ValueError, IndexError):
            ok = False
        took = time.monotonic() - start
        latencies.append(took * 1000 if ok else float("inf"))
        await asyncio.sleep(max(0.0, PROBE_EVERY - took))


def probe_process(host, port, path, stop, results):
    """The probe, in its own process until `stop` is set; sends its latencies to `results`."""
    async def run():
        stopping = asyncio.Event()
        latencies = []
        prober = asyncio.create_task(probe(host, port, path, stopping, latencies))
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)
        stopping.set()
        await prober
        return latencies
    results.send(asyncio.run(run()))


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main():
    host, port, prefix, probe_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    count, size, rate = int(sys.argv[5]), int(sys.argv[6]) << 20, float(sys.argv[7]) * (1 << 20)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count + 256)), hard))
    body = os.urandom(size)
    stop = multiprocessing.Event()
    receiver, sender = multiprocessing.Pipe(duplex=False)
    prober = multiprocessing.Process(target=probe_process, args=(host, port, probe_path, stop, sender))
    prober.start()
    start = time.monotonic()
    results = await asyncio.gather(*(upload(host, port, f"{prefix}{i}.bin", body, rate) for i in range(count)))
    wall = time.monotonic() - start
    stop.set()
    latencies = receiver.recv()
    prober.join()
    stored = [result for result in results if result is not None]
    done = len(stored)
    for url in stored:
        if url:
            await delete(host, port, url)
    print(json.dumps({
        "mbps": round(done * size / wall / 1e6, 1), "failures": count - done, "probes": len(latencies),
        "p50": round(percentile(latencies, 0.5), 1), "p99": round(percentile(latencies, 0.99), 1),
        "max": round(max(latencies), 1), "probe_failures": latencies.count(float("inf")),
    }))


if __name__ == "__main__":
    asyncio.run(main())
