"""Flash-sale ticketing services: a fair waiting room and oversell-free booking."""
