"""Reading address books of growing size: the time should grow with the size, not faster.

    python bench/bench_import.py [--max-kb 2048]

Times ``curator.contacts_io.parse_vcards`` on one vCard 2.1 card whose quoted-printable
NOTE has a soft line break every 9 bytes (the worst case for unfolding), doubling the card
from 16 kB up to ``--max-kb``, and prints milliseconds and milliseconds per MB. Nothing is
asserted; the per-MB column staying flat is what to look at.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from curator.contacts_io import parse_vcards


def card(size: int) -> str:
    breaks = size // 9
    return (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Big Note\r\n"
        "NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:" + "=C3=BC=\r\n" * breaks + "!\r\n"
        "END:VCARD\r\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-kb", type=int, default=2048)
    args = parser.parse_args()
    kb = 16
    print(f"{'card kB':>8} {'ms':>9} {'ms/MB':>9}")
    while kb <= args.max_kb:
        text = card(kb * 1024)
        start = time.perf_counter()
        [person] = parse_vcards(text)
        ms = (time.perf_counter() - start) * 1000
        assert person.notes.endswith("!")
        print(f"{len(text) // 1024:>8} {ms:>9.1f} {ms / (len(text) / 2**20):>9.1f}")
        kb *= 2


if __name__ == "__main__":
    main()
