"""Benchmarks of calibrate: speed, memory, accuracy and scaling (``python -m benchmarks``)."""
