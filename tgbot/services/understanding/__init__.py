"""Typed messages understood: the rules (matching), the sentence encoder (semantic), and the
two together (understander)."""
