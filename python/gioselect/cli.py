"""The `gioselect` command line."""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="gioselect", description="GIO training-data selection")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run GIO on bundled data (2-D Gaussians, scikit-learn digits)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from gioselect.demo import main as demo_main

        return demo_main()
    return 2


if __name__ == "__main__":
    sys.exit(main())
