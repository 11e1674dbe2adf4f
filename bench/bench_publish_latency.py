"""Alias kept for the task list: runs bench/publish_burst.py (same options)."""

from bench.publish_burst import main

if __name__ == "__main__":
    main()
