"""flows.free_memory_promptly: a process of the product gives freed arrays back to the system."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys
if sys.argv[1] == "flows":
    import flows
import numpy as np

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

big = np.ones(16 * 2**20 // 8); del big  # glibc's default raises its mapping threshold past 1 MiB here
arrays, small = [], []
for _ in range(300):  # 1 MiB arrays, each followed by a small block that pins the heap behind it
    arrays.append(np.ones(2**20 // 8))
    small.append(bytearray(4096))  # past Python's own small-object allocator
before = rss_mb()
del arrays
print(round(before - rss_mb()))
"""


def freed_mb(*args: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True)
    return int(done.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_importing_flows_makes_freed_arrays_go_back_to_the_system():
    assert freed_mb("flows") >= 250  # nearly all of the 300 MiB
    assert freed_mb("plain") < 100  # the allocator's default keeps them
