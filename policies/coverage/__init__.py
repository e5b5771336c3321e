"""Which checks of other scanners the pack covers: the committed checkov table and its builder."""
