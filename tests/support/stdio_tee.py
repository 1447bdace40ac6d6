"""Run a command with stdin passed through, copying its stdout to a file and its stderr to another.

Usage: python stdio_tee.py STDOUT_COPY STDERR_FILE COMMAND [ARGS...]

The stdio test puts this between the SDK's stdio client and the real console script, so it
can read back every byte the server wrote to stdout and check each line is JSON-RPC.
"""

import subprocess
import sys


def main() -> int:
    stdout_copy, stderr_path, *command = sys.argv[1:]
    with open(stdout_copy, "wb") as copy, open(stderr_path, "wb") as errors:
        process = subprocess.Popen(command, stdin=sys.stdin, stdout=subprocess.PIPE, stderr=errors)
        assert process.stdout is not None
        for line in iter(process.stdout.readline, b""):
            copy.write(line)
            copy.flush()
            sys.stdout.buffer.write(line)
            sys.stdout.buffer.flush()
        return process.wait()


if __name__ == "__main__":
    sys.exit(main())
