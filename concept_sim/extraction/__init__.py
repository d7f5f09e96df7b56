"""Templated inputs, batched forward passes and pooling of each word's own tokens."""
