"""A separate process for CoACD: ``python -m dexvlg_data.objects.decompose_worker`` reads (vertices, faces,
DecompositionConfig) requests and answers with dexvlg_core.sim.objects.convex_pieces' result, over its original
stdout (which it first moves aside so that C++ log lines cannot corrupt the stream).
"""

from __future__ import annotations

import os
import sys
from multiprocessing.connection import Connection


def main() -> int:
    """Serve requests until the parent sends None or closes the pipe."""
    out_fd = os.dup(1)
    os.dup2(2, 1)  # anything printed from here on, Python or C++, goes to stderr
    sys.stdout = sys.stderr
    requests, replies = Connection(os.dup(0), writable=False), Connection(out_fd, readable=False)
    from dexvlg_core.sim.objects import convex_pieces

    while True:
        try:
            message = requests.recv()
        except EOFError:
            return 0
        if message is None:
            return 0
        vertices, faces, config = message
        try:
            hulls, method = convex_pieces(vertices, faces, config)
            replies.send(("ok", hulls, method))
        except Exception as error:  # reported to the parent as this mesh's failure
            replies.send(("error", f"{type(error).__name__}: {error}", ""))


if __name__ == "__main__":
    sys.exit(main())
