"""A `sluice serve` process for the scripts that drive real servers (cluster_test.py,
fault_database.py)."""

import http.client
import os
import signal
import sqlite3
import subprocess
import sys
import time

from steps import Failure, check


class Instance:
    """One `sluice serve` process, on its own data directory and the stores given."""

    def __init__(self, binary, work, name, port, database=None, storage=None, options=()):
        self.name, self.port = name, port
        self.data_dir = os.path.join(work, name)
        self.command = [
            binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", self.data_dir,
            "--instance-id", name, "--log-level", "warning",
        ]
        if database:
            self.command += ["--database", database]
        if storage:
            self.command += ["--storage", storage]
        self.command += list(options)
        self.log_path = os.path.join(work, f"{name}.log")
        self.process = None

    def start(self):
        self.process = subprocess.Popen(self.command, stdout=open(self.log_path, "ab"), stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            check(self.process.poll() is None, f"{self.name} exited at start; see {self.log_path}")
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise Failure(f"{self.name} did not answer /healthz within 60 s")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def rss(self):
        """The process's resident set size in bytes (VmRSS in /proc/PID/status)."""
        with open(f"/proc/{self.process.pid}/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))

    def open_fds(self):
        """How many file descriptors the process holds open (entries of /proc/PID/fd)."""
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def query(self, sql):
        """The rows of `sql` on the instance's SQLite file, opened read-only (embedded stores)."""
        database = sqlite3.connect(f"file:{os.path.join(self.data_dir, 'sluice.sqlite')}?mode=ro", uri=True)
        try:
            return database.execute(sql).fetchall()
        finally:
            database.close()

    def stored(self, folder):
        """Names of the files anywhere under the data directory's `folder` (blobs, tmp, partial), sorted."""
        found = []
        for _, _, files in os.walk(os.path.join(self.data_dir, folder)):
            found += files
        return sorted(found)

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def request(self, method, path, headers=None, body=None):
        connection = self.connection()
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()


def run_checks(instances, checks, passed):
    """Runs `checks()`; on a Failure prints it with the last lines of each instance's log and
    exits 1. Stops the instances either way; prints `passed` when all held."""
    try:
        checks()
    except Failure as failure:
        print(f"FAIL {failure}", flush=True)
        for instance in instances:
            print(f"--- {instance.log_path} (last lines) ---")
            with open(instance.log_path, errors="replace") as f:
                print("".join(f.readlines()[-30:]))
        sys.exit(1)
    finally:
        for instance in instances:
            instance.stop()
    print(passed, flush=True)
