"""The verifiable random order of a scheduled opening.

Everyone who joined before `opens_at` has an arrival index 1..n. The place of arrival index i is
its rank when all indexes are sorted by SHA-256(seed || i as 8 big-endian bytes). The seed's
SHA-256 is published before the opening and the seed after it, so anyone can recompute the order.
"""

import hashlib


def opening_order(seed: bytes, prejoined: int) -> list[int]:
    """Returns places[i - 1] = the queue number (1..n) of arrival index i."""

    def draw(index: int) -> bytes:
        return hashlib.sha256(seed + index.to_bytes(8, "big")).digest()

    ranked = sorted(range(1, prejoined + 1), key=draw)
    places = [0] * prejoined
    for place, index in enumerate(ranked, start=1):
        places[index - 1] = place
    return places
