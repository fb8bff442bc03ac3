"""Types shared by the subcommand modules."""

from __future__ import annotations

import argparse

# What `ArgumentParser.add_subparsers()` returns: each module's `register()` adds to it.
Subparsers = argparse._SubParsersAction  # argparse names no public type for it
