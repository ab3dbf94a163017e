"""Run the service unattended: the poll job and the daily digest job on APScheduler."""

from __future__ import annotations

import sys


def main() -> int:
    """Entry point of `python scheduler.py`: the same as `intake run`."""
    print("intake: the scheduler (issue 7) is not built yet; this command does nothing until it is.",
          file=sys.stderr)
    return 3


if __name__ == "__main__":
    sys.exit(main())
