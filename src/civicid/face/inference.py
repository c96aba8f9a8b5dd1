"""Running a pinned network on a batch of face crops: ONNX Runtime or LiteRT, one thread each.

Face work scales by processes (civicid.face.batch, the server's workers), so every network runs
single-threaded: N processes use N cores without oversubscription.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from civicid.face.errors import ModelUnavailable
from civicid.face.manifest import ModelSpec


class Network(Protocol):
    def run(self, crops: np.ndarray) -> np.ndarray:
        """Outputs (N, D) for RGB uint8 crops (N, S, S, 3) of the spec's input size."""
        ...


def preprocess(crops: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """RGB uint8 (N, S, S, 3) → float32 in the spec's channel order, normalisation and layout."""
    batch = np.asarray(crops, dtype=np.float32)
    if spec.channels == "BGR":
        batch = batch[..., ::-1]
    batch = (batch - spec.mean) / spec.std
    if spec.layout == "NCHW":
        batch = batch.transpose(0, 3, 1, 2)
    return np.ascontiguousarray(batch, dtype=np.float32)


def _in_fixed_batches(run_one, inputs: np.ndarray, batch: int) -> np.ndarray:
    """Run ``inputs`` through a model whose batch size is fixed at ``batch``, padding the last."""
    if batch <= 0:
        return run_one(inputs)
    count = len(inputs)
    padded = -count % batch
    if padded:
        inputs = np.concatenate([inputs, np.repeat(inputs[-1:], padded, axis=0)])
    outputs = [run_one(inputs[start:start + batch]) for start in range(0, len(inputs), batch)]
    return np.concatenate(outputs)[:count]


class OnnxNetwork:
    def __init__(self, spec: ModelSpec, path: Path, *, threads: int = 1) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ModelUnavailable("onnxruntime is not installed.") from exc
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
            raise ModelUnavailable(f"The model {spec.name} could not be loaded: {exc}") from exc
        declared = self._session.get_inputs()[0]
        self._input = declared.name
        self._batch = declared.shape[0] if isinstance(declared.shape[0], int) else 0
        self._spec = spec

    def run(self, crops: np.ndarray) -> np.ndarray:
        inputs = preprocess(crops, self._spec)
        return _in_fixed_batches(lambda chunk: self._session.run(None, {self._input: chunk})[0], inputs, self._batch)


class LiteRtNetwork:
    """LiteRT (TensorFlow Lite) interpreter. Interpreters keep per-call state: calls are serialised."""

    def __init__(self, spec: ModelSpec, path: Path, *, threads: int = 1) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise ModelUnavailable("ai-edge-litert is not installed.") from exc
        try:
            self._interpreter = Interpreter(model_path=str(path), num_threads=threads)
            self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelUnavailable(f"The model {spec.name} could not be loaded: {exc}") from exc
        declared = self._interpreter.get_input_details()[0]
        self._input = declared["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._batch = int(declared["shape"][0])
        self._spec = spec
        self._lock = threading.Lock()

    def run(self, crops: np.ndarray) -> np.ndarray:
        inputs = preprocess(crops, self._spec)
        with self._lock:
            return _in_fixed_batches(self._invoke, inputs, self._batch)

    def _invoke(self, chunk: np.ndarray) -> np.ndarray:
        self._interpreter.set_tensor(self._input, chunk)
        self._interpreter.invoke()
        return np.array(self._interpreter.get_tensor(self._output))


def load_network(spec: ModelSpec, path: Path, *, threads: int = 1) -> Network:
    if spec.runtime == "litert":
        return LiteRtNetwork(spec, path, threads=threads)
    return OnnxNetwork(spec, path, threads=threads)
