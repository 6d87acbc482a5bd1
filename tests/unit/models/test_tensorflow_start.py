"""TensorFlow starts without its start-up chatter on standard error (a worker's log showed
"failed call to cuInit" as an error on every flow run), and keeps any other line."""

import subprocess
import sys

import pytest

from seqcast.models.fitting import without_start_noise


def test_known_start_up_lines_are_dropped_and_others_kept():
    lines = [
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
        "I0000 00:00:1796554287.833838 6380 cudart_stub.cc:31] Could not find cuda drivers",
        "E0000 00:00:1796554290.891399 6380 cuda_platform.cc:52] failed call to cuInit: (303)",
        "E0000 00:00:1796554290.891399 6380 some_kernel.cc:10] out of memory",
    ]
    assert without_start_noise(lines) == [lines[-1]]


@pytest.mark.slow
def test_a_fresh_process_starting_tensorflow_writes_nothing_to_stderr():
    code = (
        "from seqcast.models.fitting import limit_threads; limit_threads(1)\n"
        "import keras, tensorflow as tf\n"
        "keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])(tf.zeros((2, 3)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "cuInit" not in done.stderr and "cudart_stub" not in done.stderr, done.stderr
