"""The embedding backends: torch (sentence-transformers), the ONNX export run by onnxruntime (fp32 and
int8), which variant the index records, and the export cache."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from rag.index.embedding import BACKENDS, Embedder, EmbeddingError, default_model_path
from rag.index.onnx_export import FP32_FILE, INT8_FILE, cache_folder
from rag.wiring import Pipeline
from rag.index.vectors import StoreError
from tests.conftest import CORPUS, ROOT, make_settings


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """Corpus paragraphs of very different lengths (padding inside a batch must not change a vector)."""
    paras = [p.strip() for p in (CORPUS / "000_f583a770491e03be.txt").read_text(encoding="utf-8").split("\n\n") if p.strip()]
    return sorted(paras, key=len)[:: max(1, len(paras) // 24)] + ["Pakistan", "  spaced question?  "]


@pytest.fixture(scope="module")
def embedders(onnx_cache, tmp_path_factory) -> dict[str, Embedder]:
    data = tmp_path_factory.mktemp("embed-data")
    return {name: Embedder(make_settings(data, embed_backend=name, embed_cache_dir=onnx_cache)) for name in BACKENDS}


@pytest.mark.slow  # torch and both ONNX variants embed the same texts
def test_onnx_reproduces_torch_and_int8_stays_close(embedders, texts):
    vecs = {name: e.embed(texts) for name, e in embedders.items()}
    for name, v in vecs.items():
        assert v.shape == (len(texts), 384) and v.dtype == np.float32, name
        np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4, err_msg=name)
    assert np.abs(vecs["onnx"] - vecs["torch"]).max() < 1e-4
    cosine = (vecs["onnx-int8"] * vecs["torch"]).sum(axis=1)
    assert cosine.min() > 0.97
    assert np.abs(vecs["onnx-int8"] - vecs["torch"]).max() > 1e-4, "int8 should not be bit-identical to fp32"
    # one text alone gives the same vector as inside a padded batch
    np.testing.assert_allclose(embedders["onnx"].embed_query(texts[-3]), vecs["onnx"][-3], atol=1e-5)


def test_model_id_records_the_variant(embedders):
    assert embedders["torch"].model_id == embedders["onnx"].model_id == "sentence-transformers/all-MiniLM-L6-v2"
    assert embedders["onnx-int8"].model_id == "sentence-transformers/all-MiniLM-L6-v2+int8"


def test_empty_input_gives_an_empty_matrix(embedders):
    assert embedders["onnx-int8"].embed([]).shape == (0, 384)


def test_unknown_backend_is_a_settings_error_listing_the_choices(tmp_path):
    with pytest.raises(ValueError, match="'onnx-int8', 'onnx' or 'torch'"):
        make_settings(tmp_path, embed_backend="gpu")


def test_export_happens_once_and_is_reused(embedders, onnx_cache, tmp_path):
    embedders["onnx-int8"].embed(["make sure the export exists"])
    folder = cache_folder(default_model_path(), onnx_cache)
    files = {name: (folder / name).stat().st_mtime_ns for name in (FP32_FILE, INT8_FILE)}
    fresh = Embedder(make_settings(tmp_path / "other-data", embed_backend="onnx-int8", embed_cache_dir=onnx_cache))
    fresh.embed(["reuse the cached export"])
    assert {name: (folder / name).stat().st_mtime_ns for name in files} == files
    assert not list(folder.glob("*.tmp")), "no half-written export may be left behind"
    assert json.loads((folder / "export.json").read_text())["export_version"] >= 1


def test_onnx_path_does_not_import_torch(embedders, onnx_cache, tmp_path):
    embedders["onnx-int8"].embed(["make sure the export exists"])
    code = (
        "import sys\n"
        "from rag.config import Settings\n"
        "from rag.index.embedding import Embedder\n"
        f"e = Embedder(Settings(_env_file=None, data_dir={str(tmp_path)!r}, embed_backend='onnx-int8', embed_cache_dir={str(onnx_cache)!r}))\n"
        "assert e.embed(['a question']).shape == (1, 384)\n"
        "heavy = [m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"the ONNX path imported {out.stdout.strip()}"


def test_a_model_the_export_cannot_handle_is_a_clear_error(tmp_path, onnx_cache):
    model = tmp_path / "cls-model"
    model.mkdir()
    src = default_model_path()
    for name in ("config.json", "sentence_bert_config.json", "modules.json", "tokenizer.json"):
        (model / name).write_bytes((src / name).read_bytes())
    (model / "1_Pooling").mkdir()
    (model / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}))
    emb = Embedder(make_settings(tmp_path / "data", embed_model_path=model, embed_backend="onnx", embed_cache_dir=onnx_cache))
    with pytest.raises(EmbeddingError, match="mean-pooled BERT.*RAG_EMBED_BACKEND=torch"):
        emb.embed(["text"])


def test_index_built_with_one_variant_is_refused_by_an_incompatible_one(tmp_path, small_corpus, onnx_cache):
    built = make_settings(tmp_path / "data", small_corpus, embed_backend="onnx", embed_cache_dir=onnx_cache)
    Pipeline(built).ingestor.ingest([small_corpus / "000_f583a770491e03be.txt"])
    # fp32 ONNX and torch give the same vectors, so they share an index ...
    torch_pipe = Pipeline(built.updated(**{"embed_backend": "torch"}))
    assert torch_pipe.store.count() > 0
    # ... int8 does not: opening that index with it is refused, with what to do
    with pytest.raises(StoreError, match=r"built with embedding model 'sentence-transformers/all-MiniLM-L6-v2'.*\+int8.*--rebuild"):
        Pipeline(built.updated(**{"embed_backend": "onnx-int8"})).store
