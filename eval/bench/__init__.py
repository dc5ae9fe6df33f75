"""`rag bench`: one run on this machine measures ingest, warm queries, cold starts, memory, the
embedding backends and scale, and writes benchmarks/results.{md,json} plus a scale plot.

Every timing is the median of several runs (or, for latencies, the p50/p95 of every question in
each pass, median over passes); the machine and its load are recorded next to the numbers because
the developer machines are 2 shared cores.

Modules: plan (what to measure), runner (Bench, run_bench), measure (backends, ingest, warm
queries), cold (fresh processes: cold start, memory), scale (synthetic collections), synthetic
(their text and stand-in vectors), starter (the llama-index baseline), probes (process, memory
and server probes; `python -m eval.bench.probes`), report (results.md from report.md.tmpl, the
plot). This file imports nothing, so the probe process stays small.
"""
