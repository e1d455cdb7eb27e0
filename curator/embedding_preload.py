"""Imported by the extraction workers' forkserver: loads the bundled model there once.

Every worker is a fork of that server, so the model's weights (about 160 MB once
onnxruntime has unpacked them) are shared by all workers instead of copied into each.
Only the bundled model is loaded here; a model of the user's own loads in each worker.
Nothing is said from this process: the run says once why meaning is off, if it is.
"""

from __future__ import annotations

from contextlib import suppress

from curator.embedding import Embedder, MeaningUnavailable, give_back_memory, model_files

with suppress(MeaningUnavailable):
    Embedder(*model_files("")).load()
    give_back_memory()  # what making the session took and freed: else every worker has it
