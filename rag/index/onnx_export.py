"""The ONNX copy of the embedding model: exported once from the shipped weights into a cache folder,
checked against the torch model, optionally int8-quantized, then run with onnxruntime + tokenizers.

Why not sentence-transformers' own `backend="onnx"`: it needs optimum-onnx, whose releases pin
transformers < 4.58 while sentence-transformers 6 needs transformers >= 5, so the two cannot be
installed together. The export here produces the same graph (BERT -> mean pooling -> L2 norm),
with ONNX Runtime's BERT fusions, and running it needs neither torch nor transformers, which is what
makes a cold `rag ask` fast.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

# Bump when the exported graph or its checks change, so old cache entries are not reused.
EXPORT_VERSION = 1
FP32_FILE = "model.onnx"
INT8_FILE = "model_int8.onnx"
# The export must reproduce the torch vectors; int8 may move them a little (measured min cosine
# 0.99 on corpus text), but never this far.
FP32_MAX_ABS_DIFF = 1e-4
INT8_MIN_COSINE = 0.97
_PROBES = [
    "What did the United States and Pakistan agree after the withdrawal from Afghanistan?",
    "Pakistan",
    "The policy outlook argues that the relationship should move from a patron-client arrangement "
    "to a strategic partnership grounded in trade, climate cooperation and regional connectivity, "
    "rather than being defined only by security concerns in Afghanistan. " * 6,
    "Biden announced an unconditional withdrawal in April 2021.",
]


class OnnxExportError(RuntimeError):
    """The model cannot be exported to ONNX (unsupported layout, missing package, failed check)."""


def model_layout(source: Path) -> dict:
    """What the export needs to know of a sentence-transformers folder; rejects what it cannot export."""
    try:
        modules = json.loads((source / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling_dir = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        pooling = json.loads((source / pooling_dir / "config.json").read_text(encoding="utf-8"))
        config = json.loads((source / "config.json").read_text(encoding="utf-8"))
        st_config = json.loads((source / "sentence_bert_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, StopIteration) as e:
        raise OnnxExportError(f"{source} is not a sentence-transformers model folder the ONNX backend can read: {e}") from None
    mean_only = pooling.get("pooling_mode_mean_tokens") and not any(
        v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens"
    )
    if kinds[:2] != ["Transformer", "Pooling"] or not mean_only or config.get("model_type") != "bert":
        raise OnnxExportError(
            f"the ONNX backend exports mean-pooled BERT sentence models; {source.name} is {kinds} "
            f"({config.get('model_type')}); use RAG_EMBED_BACKEND=torch"
        )
    return {
        "max_seq_length": int(st_config.get("max_seq_length", 256)),
        "do_lower_case": bool(st_config.get("do_lower_case", False)),
        "num_heads": int(config["num_attention_heads"]),
        "hidden_size": int(config["hidden_size"]),
        "pad_token_id": int(config.get("pad_token_id", 0)),
    }


def cache_folder(source: Path, cache_dir: Path) -> Path:
    """The cache folder for this model folder's export: keyed by the weights file and export version,
    so a different or reinstalled model gets a fresh export instead of a stale one."""
    h = hashlib.sha1(f"{EXPORT_VERSION}\n{source.resolve()}\n".encode())
    for name in ("config.json", "tokenizer.json", "model.safetensors", "pytorch_model.bin"):
        f = source / name
        if f.exists():
            st = f.stat()
            h.update(f"{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return Path(cache_dir) / f"{source.name}-onnx-{h.hexdigest()[:12]}"


def ensure_exported(source: Path, cache_dir: Path, int8: bool) -> Path:
    """The ONNX file for `source` (int8 or fp32), exporting it first if the cache lacks it.

    Concurrent processes wait on a lock file, and files appear by atomic rename, so a reader never
    sees half an export and the work is done once.
    """
    folder = cache_folder(source, cache_dir)
    target = folder / (INT8_FILE if int8 else FP32_FILE)
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder / ".lock"):
        if target.exists():  # another process finished it while we waited
            return target
        t0 = time.perf_counter()
        log.warning("exporting the embedding model to ONNX%s (once) into %s", " int8" if int8 else "", folder)
        reference = _Reference(source)
        fp32 = folder / FP32_FILE
        if not fp32.exists():
            _publish(fp32, lambda tmp: _export_fp32(reference, tmp))
        if int8:
            _publish(target, lambda tmp: _quantize(reference, fp32, tmp))
        meta = {"export_version": EXPORT_VERSION, "source": str(source), "seconds": round(time.perf_counter() - t0, 1)}
        (folder / "export.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return target


def _publish(target: Path, write) -> None:
    """Write via `write(tmp_path)` then rename into place; a failure leaves nothing behind."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache may be shared
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(path: Path):
    try:
        import fcntl
    except ImportError:  # not POSIX: no cross-process lock, the atomic renames still keep files whole
        yield
        return
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class _Reference:
    """The torch model, loaded once per export, used to export and to check the result."""

    def __init__(self, source: Path):
        self.source = source
        self.layout = model_layout(source)
        try:
            import torch  # noqa: F401
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise OnnxExportError("exporting to ONNX needs torch and sentence-transformers: pip install -e .") from None
        self.st = SentenceTransformer(str(source), device="cpu")
        self.expected = self.st.encode(_PROBES, normalize_embeddings=True, convert_to_numpy=True)

    def check(self, onnx_file: Path, int8: bool) -> None:
        got = OnnxSession(onnx_file, self.source, self.layout).encode(_PROBES, batch_size=len(_PROBES))
        cosine = float((got * self.expected).sum(axis=1).min())
        diff = float(np.abs(got - self.expected).max())
        ok = cosine >= INT8_MIN_COSINE if int8 else diff <= FP32_MAX_ABS_DIFF
        if not ok:
            raise OnnxExportError(
                f"the ONNX export does not reproduce the torch model (max |diff| {diff:.2e}, min cosine {cosine:.4f}); "
                "use RAG_EMBED_BACKEND=torch"
            )


def _export_fp32(ref: _Reference, out: Path) -> None:
    import torch
    from transformers import AutoModel

    try:
        import onnx  # noqa: F401  (the torch exporter writes through it)
        from onnxruntime.transformers.optimizer import optimize_model
    except ImportError:
        raise OnnxExportError("the ONNX export needs onnx and onnxruntime: pip install onnx onnxruntime") from None

    # Eager attention traces into plain MatMul/Softmax, which ONNX Runtime's BERT fusions recognise.
    bert = AutoModel.from_pretrained(str(ref.source), attn_implementation="eager").eval()

    class Sentence(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            tokens = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    # Trace with padding in the batch: a mask of all ones would let the tracer drop the masking.
    ids = torch.randint(1000, 2000, (2, 12))
    mask = torch.ones_like(ids)
    mask[1, 7:] = 0
    raw = out.with_name(out.name + ".raw.onnx")
    try:
        import warnings

        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Sentence(bert), (ids, mask, torch.zeros_like(ids)), str(raw),
                input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["sentence_embedding"],
                dynamic_axes={
                    **{n: {0: "batch", 1: "sequence"} for n in ("input_ids", "attention_mask", "token_type_ids")},
                    "sentence_embedding": {0: "batch"},
                },
                opset_version=17, dynamo=False,
            )
        fused = optimize_model(str(raw), model_type="bert", num_heads=ref.layout["num_heads"],
                               hidden_size=ref.layout["hidden_size"], opt_level=1)
        fused.save_model_to_file(str(out))
    finally:
        raw.unlink(missing_ok=True)
    ref.check(out, int8=False)


def _quantize(ref: _Reference, fp32: Path, out: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-channel int8 weights keep the vectors much closer to fp32 than per-tensor (min cosine
    # 0.99 vs 0.93 on corpus text); the fused BERT ops carry no type info, hence DefaultTensorType.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer logs advice meant for image models on the root logger
    try:
        quantize_dynamic(
            str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)
    ref.check(out, int8=True)


class OnnxSession:
    """Texts -> normalized sentence vectors with onnxruntime and the model's own tokenizer."""

    def __init__(self, onnx_file: Path, source: Path, layout: dict | None = None, threads: int | None = None):
        try:
            import onnxruntime as ort
        except ImportError:
            raise OnnxExportError("the ONNX backend needs onnxruntime: pip install onnxruntime") from None
        from tokenizers import Tokenizer

        layout = layout or model_layout(source)
        self.tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
        # The same truncation and padding as sentence-transformers (the file's own are 128, fixed).
        self.tokenizer.enable_truncation(max_length=layout["max_seq_length"])
        self.tokenizer.enable_padding(pad_id=layout["pad_token_id"], pad_token=self.tokenizer.id_to_token(layout["pad_token_id"]) or "[PAD]")
        self.lower = layout["do_lower_case"]
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """One float32 unit vector per text; batches hold texts of similar length (less padding)."""
        texts = [t.strip().lower() if self.lower else t.strip() for t in texts]
        order = np.argsort([-len(t) for t in texts], kind="stable")
        parts = []
        for start in range(0, len(texts), batch_size):
            enc = self.tokenizer.encode_batch([texts[i] for i in order[start : start + batch_size]])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64)}
            if "token_type_ids" in self.inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            parts.append(self.session.run(None, feeds)[0])
        vecs = np.vstack(parts).astype(np.float32, copy=False)
        out = np.empty_like(vecs)
        out[order] = vecs
        return out
