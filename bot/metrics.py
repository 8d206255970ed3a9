"""Process-wide counters, exposed for Prometheus and printed by `python -m bot stats`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Metrics:
    counters: Counter[str] = field(default_factory=Counter)
    tick_lag_seconds: float = 0.0

    def inc(self, name: str, amount: int = 1) -> None:
        self.counters[name] += amount

    def render_prometheus(self) -> str:
        lines = []
        for name in sorted(self.counters):
            metric = f"ptcoach_{name}_total"
            lines += [f"# TYPE {metric} counter", f"{metric} {self.counters[name]}"]
        lines += [
            "# TYPE ptcoach_tick_lag_seconds gauge",
            f"ptcoach_tick_lag_seconds {self.tick_lag_seconds:.3f}",
        ]
        return "\n".join(lines) + "\n"
