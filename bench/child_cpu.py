#!/usr/bin/env python3
"""child_cpu.py FILE COMMAND [ARGS...]: runs COMMAND and, when it ends,
appends the CPU time it used (user + system seconds) to FILE.

Started through `setsid -w` as a worker command, the measured process lives
in a session of its own, out of the reach of the pool's kill of the worker's
process group at shutdown: it then ends at the end of its input, as the
pool closes its side of the pipes, and its time is still recorded.
"""
import os
import resource
import sys


def main() -> int:
    if len(sys.argv) < 3:
        print("usage: child_cpu.py FILE COMMAND [ARGS...]", file=sys.stderr)
        return 2
    out, argv = sys.argv[1], sys.argv[2:]
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    # The command alone holds the pipes now, so it sees the end of its input
    # when the other side closes.
    os.close(0)
    os.close(1)
    _, status = os.waitpid(pid, 0)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "a") as f:
        f.write(f"{used.ru_utime + used.ru_stime:.6f} {os.waitstatus_to_exitcode(status)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
