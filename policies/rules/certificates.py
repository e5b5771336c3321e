"""ACM certificate rules: names, Certificate Transparency logging, replacement order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import EnforcementLevel, Policy, Severity

from policies.rule import resource_rule
from policies.rules.values import is_unknown, lookup, strings, with_plain_props

CERTIFICATE = "aws:acm/certificate:Certificate"


def _wildcard_names(props: dict[str, Any], args: Any) -> Iterator[str]:
    names = strings(lookup(props, "domainName")) + strings(lookup(props, "subjectAlternativeNames"))
    wildcards = [name for name in names if name.startswith("*")]
    if wildcards:
        yield f"the certificate covers {wildcards}: its key serves every host of the domain"


def _transparency_findings(props: dict[str, Any], args: Any) -> Iterator[str]:
    preference = lookup(props, "options", "certificateTransparencyLoggingPreference")
    if not is_unknown(preference) and str(preference).upper() == "DISABLED":
        yield (
            "options.certificateTransparencyLoggingPreference is 'DISABLED': browsers reject the"
            " certificate and mis-issuance goes unnoticed"
        )


def _replaced_after_delete(props: dict[str, Any], args: Any) -> Iterator[str]:
    if getattr(args.opts, "delete_before_replace", False):
        yield (
            "deleteBeforeReplace is set: a replacement first deletes the certificate the listeners"
            " still serve"
        )


POLICIES: list[Policy] = [
    resource_rule(
        name="aws-acm-no-wildcard-certificate",
        description="ACM certificates name their hosts (no wildcard names).",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[CERTIFICATE],
        remediation=(
            "list each host in `domain_name` / `subject_alternative_names` of aws.acm.Certificate"
            " instead of '*.domain'."
        ),
        checkov_ids=["CKV2_AWS_71"],
        check=with_plain_props(_wildcard_names),
    ),
    resource_rule(
        name="aws-acm-certificate-transparency",
        description="ACM certificates are logged to Certificate Transparency.",
        severity=Severity.LOW,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[CERTIFICATE],
        remediation=(
            "leave `options.certificate_transparency_logging_preference` unset or 'ENABLED' on"
            " aws.acm.Certificate."
        ),
        checkov_ids=["CKV_AWS_234"],
        check=with_plain_props(_transparency_findings),
    ),
    resource_rule(
        name="aws-acm-create-before-destroy",
        description="A replaced ACM certificate is created before the old one is deleted.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
        resource_types=[CERTIFICATE],
        remediation=(
            "drop `delete_before_replace=True` from the ResourceOptions of aws.acm.Certificate"
            " (Pulumi creates the replacement first by default)."
        ),
        checkov_ids=["CKV_AWS_233"],
        check=with_plain_props(_replaced_after_delete),
    ),
]
