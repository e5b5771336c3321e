"""`test_every_rule_is_tested` reads what the other rule tests saw, so it runs after them."""

RUNS_LAST = "test_every_rule_is_tested"


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.name.startswith(RUNS_LAST))
