"""Cramp & spasm self-care Telegram bot."""

import os

# The encoder's matrix products are one message wide: a second OpenBLAS thread only spins
# (measured: the same wall time at twice the CPU), taking the core a replica or the test
# suite's other worker needs. Set before numpy loads OpenBLAS; an operator's value wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
