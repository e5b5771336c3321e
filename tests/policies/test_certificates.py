from policies.rules import certificates
from policies.rules.certificates import CERTIFICATE
from tests.policies.harness import _options, resource_violations

RULES = {policy.name: policy for policy in certificates.POLICIES}


def test_certificates_name_their_hosts():
    rule = RULES["aws-acm-no-wildcard-certificate"]
    wildcard = {"domainName": "tickets.example.com", "subjectAlternativeNames": ["*.example.com"]}
    assert resource_violations(rule, CERTIFICATE, wildcard) == [
        "the certificate covers ['*.example.com']: its key serves every host of the domain"
    ]
    named = {"domainName": "tickets.example.com", "subjectAlternativeNames": ["seoul.example.com"]}
    assert resource_violations(rule, CERTIFICATE, named) == []


def test_certificates_are_logged_to_certificate_transparency():
    rule = RULES["aws-acm-certificate-transparency"]
    disabled = {"options": {"certificateTransparencyLoggingPreference": "DISABLED"}}
    assert resource_violations(rule, CERTIFICATE, disabled) == [
        "options.certificateTransparencyLoggingPreference is 'DISABLED': browsers reject the"
        " certificate and mis-issuance goes unnoticed"
    ]
    assert resource_violations(rule, CERTIFICATE, {"domainName": "tickets.example.com"}) == []


def test_certificates_are_replaced_create_before_destroy():
    rule = RULES["aws-acm-create-before-destroy"]
    props = {"domainName": "tickets.example.com"}
    assert resource_violations(rule, CERTIFICATE, props, options=_options(True)) == [
        "deleteBeforeReplace is set: a replacement first deletes the certificate the listeners"
        " still serve"
    ]
    assert resource_violations(rule, CERTIFICATE, props) == []
