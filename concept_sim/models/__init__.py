"""Loading language models through TransformerLens's TransformerBridge."""

from concept_sim.models.loading import LoadedModel, load_model, resolve_device

__all__ = ["LoadedModel", "load_model", "resolve_device"]
