"""The registry: every rule of the pack, grouped by domain. `policies/__main__.py` and the
offline gate both take the list from here."""

from policies.rules import (
    alerting,
    certificates,
    compute,
    database,
    kubernetes,
    kubernetes_hardening,
    kubernetes_rbac,
    messaging,
    network,
    routing,
    security,
    storage,
    tagging,
)

ALL_POLICIES = [
    *compute.POLICIES,
    *database.POLICIES,
    *network.POLICIES,
    *security.POLICIES,
    *storage.POLICIES,
    *messaging.POLICIES,
    *kubernetes.POLICIES,
    *kubernetes_hardening.POLICIES,
    *kubernetes_rbac.POLICIES,
    *routing.POLICIES,
    *tagging.POLICIES,
    *certificates.POLICIES,
    *alerting.POLICIES,
]
