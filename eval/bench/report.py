"""The benchmark's result files: results.json as measured, results.md rendered from the template
report.md.tmpl over values prepared here (numbers formatted, optional rows None), and scale.png."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from string import Template

TEMPLATE = Path(__file__).with_name("report.md.tmpl")
_BLOCK = re.compile(r"^<!-- block (\w+) -->\n", re.M)


def write_results(results: dict, out_dir: Path) -> list[Path]:
    """benchmarks/results.json, results.md and scale.png from one run's results."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "results.json", out_dir / "results.md"]
    paths[0].write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
    plot = plot_scale(results.get("scale", {}), out_dir / "scale.png", results.get("ingest"))
    paths[1].write_text(render_markdown(results, plot.name if plot else None), encoding="utf-8")
    return paths + ([plot] if plot else [])


@functools.cache
def _blocks() -> dict[str, str]:
    parts = _BLOCK.split(TEMPLATE.read_text(encoding="utf-8"))
    return dict(zip(parts[1::2], parts[2::2]))


def fill(block: str, **values: str | None) -> str:
    """One block of the template with `values`; a line with a None value is left out."""
    lines = []
    for line in _blocks()[block].splitlines():
        names = {m["named"] or m["braced"] for m in Template.pattern.finditer(line)} - {None}
        if any(values[n] is None for n in names):
            continue
        lines.append(Template(line).substitute(values))
    return "\n".join(lines).strip("\n")


def _f(x, digits: int = 1, unit: str = "") -> str:
    if x is None:
        return "—"
    return f"{x:,.{digits}f}{unit}"


def _lines(texts: list[str]) -> str | None:
    return "\n".join(texts) if texts else None


def render_markdown(r: dict, plot_name: str | None) -> str:
    """results.md: the header, any rerun notes, then each measured section, one blank line apart."""
    m, plan = r.get("machine", {}), r.get("plan", {})
    sections = [fill(
        "header", date=str(m.get("date", "?")), cpus=str(m.get("cpus")), cpu=m.get("cpu") or "unknown CPU",
        memory_gb=str(m.get("memory_gb")), python=str(m.get("python")), load_before=str(m.get("load_before")),
        load_after=str(m.get("load_after")), runs=str(plan.get("runs")), questions=str(plan.get("questions")),
        default_backend=str(plan.get("default_backend")), batch_size=str(plan.get("batch_size")), seconds=_f(r.get("seconds"), 0),
    )]
    sections += [fill("rerun", date=str(x["date"]), load_before=str(x.get("load_before")), load_after=str(x.get("load_after")),
                      sections=", ".join(x["sections"]), note=str(x.get("note", ""))) for x in r.get("reruns", [])]
    sections += [text for text in (_ingest(r.get("ingest")), _backends(r.get("backends"), plan), _query(r.get("query")),
                                   _cold_start(r.get("cold_start")), _memory(r.get("memory")),
                                   _scale(r.get("scale"), r.get("ingest"), plot_name)) if text]
    return "\n\n".join(sections) + "\n"


def _ingest(ing: dict | None) -> str | None:
    if not ing:
        return None
    runs = [x["raw_encode_s"] / x["ingest_s"] for x in ing.get("runs", []) if x.get("ingest_s")]
    return fill(
        "ingest", chunks=str(ing["chunks"]), texts_embedded=str(ing["texts_embedded"]) if ing.get("texts_embedded") else None,
        ingest_s=_f(ing["ingest_s"], 2), chunks_per_s=_f(ing["chunks_per_s"]), raw_chunks_per_s=_f(ing["raw_chunks_per_s"]),
        # each run's own raw / ingest ratio shows how much load from elsewhere moved it
        run_ratios=fill("run_ratios", ratios=", ".join(f"{x:.2f}" for x in runs)) if len(runs) > 1 else "",
        ratio=_f(ing["ratio"], 2), reingest_s=_f(ing["reingest_unchanged_s"], 3),
        reingest_cli_s=_f(ing["reingest_unchanged_cli_s"], 2) if "reingest_unchanged_cli_s" in ing else None,
    )


def _backends(b: dict | None, plan: dict) -> str | None:
    if not b:
        return None
    names = [k for k in b if isinstance(b[k], dict)]
    first = names[0] if names else "torch"
    rows = [fill("backend_row", name=n, model_id=b[n]["model_id"], load_s=_f(b[n]["load_s"], 2), chunks_per_s=_f(b[n]["chunks_per_s"]),
                 speedup=_f(b[n]["speedup_vs_" + first], 2), min_cosine=_f(b[n]["min_cosine_vs_first"], 4),
                 hit5=_f(b[n]["hit@5"], 3), dense_hit5=_f(b[n]["dense_hit@5"], 3)) for n in names]
    return fill("backends", chunks=str(b["chunks"]), questions=str(plan.get("questions")), first=first, rows=_lines(rows),
                verdict=_default_verdict(b, first))


def _default_verdict(b: dict, first: str) -> str:
    """Which backends this run shows fit to be the default: >= 1.5x faster than the first with
    hybrid and dense hit@5 no more than 0.01 below it (higher is fine)."""
    fit = [n for n in b if isinstance(b[n], dict) and n != first and b[n]["speedup_vs_" + first] >= 1.5
           and b[n]["hit5_delta_vs_" + first] >= -0.01 and b[n]["dense_hit5_delta_vs_" + first] >= -0.01]
    if not fit:
        return fill("verdict_none", first=first)
    return fill("verdict_fit", first=first, fit=", ".join(f"`{n}`" for n in fit))


def _query(q: dict | None) -> str | None:
    if not q:
        return None
    rt, an, st = q["retrieve_ms"], q["answer_ms"], q["starter_retrieve_ms"]
    return fill(
        "query", questions=str(q["questions"]), retrieve_p50=_f(rt["p50"]), retrieve_p95=_f(rt["p95"]),
        ours_hit5=_f(q["ours_hit@5"], 3), ours_hit2=_f(q["ours_hit@2"], 3), answer_p50=_f(an["p50"]), answer_p95=_f(an["p95"]),
        starter_chunks=str(q["starter"]["chunks"]), starter_p50=_f(st["p50"]), starter_p95=_f(st["p95"]),
        starter_hit2=_f(q["starter_hit@2"], 3), ratio_p50=_f(q["ratio_p50"], 2),
    )


def _cold_start(c: dict | None) -> str | None:
    if not c or c.get("skipped"):
        return None
    ui = f"{_f(c.get('ui_first_request_s'), 2)} s" if c.get("ui_first_request_s") is not None else c.get("ui_note", "—")
    return fill("cold_start", ask_s=_f(c["ask_json_s"], 2), status_s=_f(c["status_s"], 2),
                imports=", ".join(c["status_heavy_imports"]) or "no torch, chromadb, gradio", ui=str(ui))


def _memory(mem: dict | None) -> str | None:
    if not mem or mem.get("skipped"):
        return None
    rows = []
    for name in ("extractive", "llamacpp"):
        if name in mem:
            x = mem[name]
            server = f"{_f(x['server_peak_rss_mb'], 0)} MB" if x.get("server_peak_rss_mb") else x.get("server_note", "—")
            rows.append(fill("memory_row", name=name, ask_mb=_f(x["ask_peak_rss_mb"], 0), server=str(server)))
    return fill("memory", rows=_lines(rows), llamacpp_note=mem.get("llamacpp_note") or None)


def _scale(sc: dict | None, ing: dict | None, plot_name: str | None) -> str | None:
    if not sc or not sc.get("rows"):
        return None
    rows = [fill("scale_row", chunks=f"{x['chunks']:,}", texts_embedded=_f(x.get("texts_embedded"), 0), embedding=str(x["embedding"]),
                 ingest_s=_f(x["ingest_s"], 1), chunks_per_s=_f(x["chunks_per_s"]), retrieve_p50=_f(x["retrieve_ms"]["p50"]),
                 retrieve_p95=_f(x["retrieve_ms"]["p95"]), answer_p50=_f(x["answer_ms"]["p50"]), answer_p95=_f(x["answer_ms"]["p95"]),
                 disk_mb=_f(x["disk_mb"])) for x in sc["rows"]]
    estimates = [fill("scale_estimate", chunks=f"{x['chunks']:,}", seconds=_f(with_embedding_s(x, ing), 0))
                 for x in sc["rows"] if x["embedding"] == "precomputed" and ing]
    return fill("scale", rows=_lines(rows), estimates=_lines(estimates), plot=plot_name)


def with_embedding_s(row: dict, ingest: dict) -> float:
    """A precomputed-vector row's ingest time plus what the model would have taken for its texts
    (at the raw throughput measured on the corpus)."""
    if row.get("texts_embedded") and ingest.get("raw_texts_per_s"):
        return row["ingest_s"] + row["texts_embedded"] / ingest["raw_texts_per_s"]
    return row["ingest_s"] + row["chunks"] / ingest["raw_chunks_per_s"]


def plot_scale(scale: dict, path: Path, ingest: dict | None = None) -> Path | None:
    """Ingest time and query latency against collection size (log-log)."""
    rows = scale.get("rows") or []
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [x["chunks"] for x in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for kind, marker in (("real", "o"), ("precomputed", "s")):
        pts = [(x["chunks"], x["ingest_s"]) for x in rows if x["embedding"] == kind]
        if pts:
            a.plot(*zip(*pts), marker=marker, linestyle="-", label=f"ingest ({kind} embedding)")
    if ingest:
        real = [(x["chunks"], x["ingest_s"]) for x in rows if x["embedding"] == "real"]
        est = [(x["chunks"], with_embedding_s(x, ingest)) for x in rows if x["embedding"] == "precomputed"]
        if real and est:
            a.plot(*zip(*(real[-1:] + est)), marker="^", linestyle="--", label="estimated with embedding")
    a.set(xscale="log", yscale="log", xlabel="chunks", ylabel="seconds", title="Ingest time")
    a.legend()
    b.plot(n, [x["retrieve_ms"]["p50"] for x in rows], marker="o", label="retrieve p50")
    b.plot(n, [x["retrieve_ms"]["p95"] for x in rows], marker="o", label="retrieve p95")
    b.plot(n, [x["answer_ms"]["p95"] for x in rows], marker="^", linestyle="--", label="answer p95")
    b.axhline(100, color="grey", linestyle=":", label="100 ms target")
    b.set(xscale="log", xlabel="chunks", ylabel="ms", title="Warm query latency")
    b.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
