"""Ping-pong between two MPI ranks on this host: what a message costs, pickle vs numpy buffer.

The rank-side code and the definitions are ``kernels.mpi.pingpong`` (OMB's
``osu_latency`` scheme: one-way time = round trip / 2; bandwidth = bytes /
one-way time).  This process is rank 0 and spawns one rank through the mpi
backend's single-host path (``kernels.mpi.spawn``: MPICH's gforker,
``UCX_TLS=sm,self``, nothing listening beyond loopback), as the suite's ``mpi``
backend does.  Across hosts the same code runs under a launcher
(``python -m cluster.multihost``, see README "Beyond one host"); asv starts
every benchmark as a local process, so only the single-host case is here.

* ``PingPongLatency.track_one_way_time``: seconds, small messages.
* ``PingPongBandwidth.track_bandwidth``: GB/s (1e9 bytes/s), large messages.

Parameters: transport (``pickle``: ``comm.send`` of a numpy array; ``buffer``:
``comm.Send`` of a numpy buffer) x message size in bytes.  Sizes follow
``PARBENCH_SIZES`` (``quick`` for CI).  Each case is checked (the echoed message
equals the one sent) before it is timed; the value is the median of 3 samples.
Skipped (asv's NaN, reason on stderr) where MPI cannot spawn here or
``PARBENCH_BACKENDS`` leaves ``mpi`` out.
"""

import statistics
import sys

from kernels import BACKENDS, BackendUnavailable

from . import common

SIZES = {
    "default": {"latency": [8, 512, 32768], "bandwidth": [65536, 2**21, 2**26]},
    "quick": {"latency": [8, 4096], "bandwidth": [65536]},
}
SIZES["full"] = SIZES["default"]
#: seconds of timed round trips per case (one message size and transport)
BUDGET_S = 0.3


def _sizes(kind):
    return SIZES[common.SETTINGS.size_set][kind]


class _PingPong(common.Benchmark):
    param_names = ["transport", "bytes"]
    timeout = 120

    def setup(self, transport, nbytes):
        from kernels.mpi.pingpong import SpawnedPeer

        try:
            if "mpi" not in common.SETTINGS.selected_backends(BACKENDS):
                raise BackendUnavailable("PARBENCH_BACKENDS leaves out mpi")
            self.peer = SpawnedPeer()
        except BackendUnavailable as exc:
            print(f"parbench: skipped ping-pong {transport} {nbytes} B: {exc}", file=sys.stderr)
            raise NotImplementedError(str(exc)) from exc

    def one_way_time(self, transport, nbytes):
        """Median one-way time (seconds) of ``nbytes``-byte messages."""
        return statistics.median(self.peer.one_way_times(nbytes, transport, BUDGET_S))

    def teardown(self, *params):
        peer = getattr(self, "peer", None)
        if peer is not None:
            peer.close()
            self.peer = None


class PingPongLatency(_PingPong):
    params = (["pickle", "buffer"], _sizes("latency"))
    unit = "seconds"

    def track_one_way_time(self, transport, nbytes):
        return self.one_way_time(transport, nbytes)


class PingPongBandwidth(_PingPong):
    params = (["pickle", "buffer"], _sizes("bandwidth"))
    unit = "GB/s"

    def track_bandwidth(self, transport, nbytes):
        return nbytes / self.one_way_time(transport, nbytes) / 1e9
