"""Run one command and print its wall time, CPU time and peak RSS as JSON (used by bench/run.py).

    python bench/measure.py -- CMD ARGS...

CPU time (user + system, of the whole tree) is steadier than wall time on a shared machine. Peak RSS is that of the largest process in the command's tree (RUSAGE_CHILDREN), which is what a
machine has to provide; each measurement runs in a fresh process so figures do not leak.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    command = argv[argv.index("--") + 1:] if "--" in argv else argv
    started = time.perf_counter()
    completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024,
                      "returncode": completed.returncode,
                      "stderr": completed.stderr.decode(errors="replace")[-2000:]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
