"""Each notebook's quantitative result as a function, reproducible outside Jupyter.

One module per lesson; ``benchmarks/`` has a script per module that prints the figures.
"""
