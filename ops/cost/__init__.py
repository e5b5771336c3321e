"""`python -m ops.cost`: a stack's cost from its program's resources and a dated price table."""
