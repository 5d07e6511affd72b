"""Instructor reference solutions, one module per exercise (NumPy modules never import TensorFlow)."""
