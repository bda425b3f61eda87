"""Run commands side by side; when one stops, or on Ctrl-C or SIGTERM, stop them all.

Plain Python without Django: `manage.py serve` prepares the database and the demo, then
replaces itself with this script (os.execv), so the process watching the web server and the
worker holds a few MB instead of a loaded Django project.

    python annotator/supervise.py '[["cmd", "arg"], ["other", "arg"]]'
"""

import json
import signal
import subprocess
import sys
import time


def supervise(commands: list[list[str]]) -> int:
    processes = [subprocess.Popen(command) for command in commands]

    def stop(*_) -> None:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        print("A process stopped; stopping the others.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(supervise(json.loads(sys.argv[1])))
