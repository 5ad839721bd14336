"""The `laop` console script: start what may start early, then run the command line.

Nothing here loads the database stack or Typer before ``prefetch.start`` has had its
chance to begin a report's heaviest read on a second processor.
"""

import gc
import sys

__all__ = ["main"]


def main() -> None:
    """Console-script entry point (also `python -m laop`)."""
    # No garbage to find while modules load (see laop.cli.main).
    gc.disable()
    from laop import prefetch

    prefetch.start(sys.argv[1:])
    from laop.cli import main as run

    run()
