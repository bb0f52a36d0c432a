"""Reading the metrics back: one sample's value, and the exposition a scrape gets."""

from __future__ import annotations

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families


def value(name: str, **labels: str) -> float:
    """The sample's current value in this process (0 when the series does not exist yet)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def samples(exposition: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape's text, by name and label set."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def total(exposition: str, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(
        found
        for (sample, label_set), found in samples(exposition).items()
        if sample == name and wanted <= label_set
    )
