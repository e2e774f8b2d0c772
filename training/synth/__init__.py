"""Procedural technical drawings with exact nearness and figure mask (see dataset.sample)."""
