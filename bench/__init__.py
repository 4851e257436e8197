"""The benchmark: card latency, upstream calls, coalescing (python -m bench)."""
