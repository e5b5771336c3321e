from pulumi.output import Unknown
from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, unknown_checking_proxy

from policies.mocks import fake_arn
from policies.rules.values import (
    UNKNOWN,
    as_list,
    as_mapping,
    attached,
    iam_document,
    identities,
    is_aws_managed_key,
    is_public_principal,
    is_true,
    is_unknown,
    lookup,
    must_be_true,
    plain,
    shown,
    statements,
    strings,
    tag_value,
    whole_number,
    with_plain_props,
)
from tests.policies.harness import _options, stack_resource, urn_of


def test_every_unknown_spelling_is_unknown():
    assert is_unknown(Unknown())
    assert is_unknown(UNKNOWN)
    assert is_unknown(UNKNOWN_BOOLEAN_VALUE)
    assert not is_unknown("arn:aws:kms:ap-northeast-2:123456789012:key/abc")
    assert not is_unknown(None)


def test_plain_reads_proxied_props_without_raising_on_unknowns():
    proxied = unknown_checking_proxy({"a": UNKNOWN_BOOLEAN_VALUE, "b": [1, UNKNOWN, {"c": "x"}]})
    assert plain(proxied) == {"a": UNKNOWN, "b": [1, UNKNOWN, {"c": "x"}]}
    assert plain({"a": Unknown(), "b": (1, 2)}) == {"a": UNKNOWN, "b": [1, 2]}


def test_lookup_walks_paths_and_reports_missing_as_none():
    proxied = unknown_checking_proxy({"a": {"b": [{"c": 3}]}, "u": UNKNOWN})
    assert lookup(proxied, "a", "b", 0, "c") == 3
    assert lookup(proxied, "a", "b", 5, "c") is None
    assert lookup(proxied, "a", "missing") is None
    assert lookup(proxied, "a", "b", "not-an-index") is None
    assert lookup(proxied, "u", "deeper") == UNKNOWN
    assert lookup("a string", "key") is None


def test_as_list_and_as_mapping_normalise_odd_types():
    assert as_list(None) == [] and as_list(Unknown()) == []
    assert as_list("s3:GetObject") == ["s3:GetObject"]
    assert as_list(("a", "b")) == ["a", "b"]
    assert as_mapping(["not", "a", "mapping"]) == {} and as_mapping({"k": 1}) == {"k": 1}
    assert strings(["a", 3, UNKNOWN, None, "b"]) == ["a", "b"]


def test_is_true_accepts_only_explicit_truth():
    assert is_true(True) and is_true("true") and is_true(" True ")
    assert not is_true(1) and not is_true("yes") and not is_true(None) and not is_true(UNKNOWN)


def test_iam_document_parses_json_strings_and_mappings():
    text = (
        '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource":'
        ' "*"}}'
    )
    assert statements(iam_document(text)) == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    assert statements(iam_document({"Statement": [{"Effect": "Deny"}, "junk"]})) == [
        {"Effect": "Deny"}
    ]
    assert iam_document("{not json") is None
    assert iam_document(Unknown()) is None and iam_document(UNKNOWN) is None
    assert iam_document(42) is None and iam_document('["a list"]') is None
    assert statements(None) == [] and statements({"Statement": UNKNOWN}) == []


def test_tag_value_reads_tags_then_tags_all():
    assert tag_value({"tags": {"system": "ticketing"}}, "system") == "ticketing"
    assert tag_value({"tags": {}, "tagsAll": {"system": "ticketing"}}, "system") == "ticketing"
    assert tag_value({"tags": {"other": "x"}}, "system") is None
    assert is_unknown(tag_value({"tags": UNKNOWN}, "system"))
    assert tag_value({"tags": "not a map"}, "system") is None


def test_with_plain_props_hands_checks_a_dict_even_for_none():
    seen = []
    check = with_plain_props(lambda props, args: seen.append(props) or [])
    list(check(None, None))
    list(check(unknown_checking_proxy({"x": UNKNOWN}), None))
    assert seen == [{}, {"x": UNKNOWN}]


def test_aws_managed_keys_are_recognised():
    assert (
        is_aws_managed_key(None, "sqs")
        and is_aws_managed_key("", "sqs")
        and is_aws_managed_key("alias/aws/sqs", "sqs")
    )
    assert is_aws_managed_key("arn:aws:kms:ap-northeast-2:123456789012:alias/aws/sqs", "sqs")
    assert not is_aws_managed_key("alias/tickets", "sqs") and not is_aws_managed_key(
        "alias/aws/sns", "sqs"
    )


BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"


def _with_dependencies(resource_type, name, props, dependencies=(), property_dependencies=None):
    return PolicyResource(
        resource_type,
        props,
        urn_of(resource_type, name),
        name,
        _options(),
        None,
        None,
        list(dependencies),
        property_dependencies or {},
    )


def test_identities_include_inputs_and_the_offline_mock_id_and_arn():
    found = identities(
        stack_resource(BUCKET, "assets", {"bucket": "tickets-assets", "arn": UNKNOWN}), "bucket"
    )
    assert found == {"tickets-assets", "assets-id", fake_arn("s3", "bucket/assets")}


def test_attached_joins_by_value_property_dependency_and_dependency_of_unknown_values():
    assets = stack_resource(BUCKET, "assets", {"bucket": "tickets-assets"})
    media = stack_resource(BUCKET, "media", {})
    by_value = stack_resource(PAB, "by-value", {"bucket": "tickets-assets"})
    by_mock_id = stack_resource(PAB, "by-mock-id", {"bucket": "media-id"})
    by_property_dependency = _with_dependencies(
        PAB, "by-property-dependency", {"bucket": UNKNOWN}, [assets], {"bucket": [assets]}
    )
    by_dependency = _with_dependencies(PAB, "by-dependency", {"bucket": Unknown()}, [media])
    elsewhere = stack_resource(PAB, "elsewhere", {"bucket": "someone-elses"})
    settings = [by_value, by_mock_id, by_property_dependency, by_dependency, elsewhere]
    by_bucket, undecided = attached(
        [assets, media], settings, "bucket", lambda bucket: identities(bucket, "bucket")
    )
    assert [setting.name for setting in by_bucket[assets.urn]] == [
        "by-value",
        "by-property-dependency",
    ]
    assert [setting.name for setting in by_bucket[media.urn]] == ["by-mock-id", "by-dependency"]
    assert undecided is False


def test_attached_reports_an_unattributable_unknown_reference_as_undecided():
    assets = stack_resource(BUCKET, "assets", {})
    by_bucket, undecided = attached(
        [assets],
        [stack_resource(PAB, "anywhere", {"bucket": UNKNOWN})],
        "bucket",
        lambda bucket: identities(bucket, "bucket"),
    )
    assert by_bucket == {assets.urn: []} and undecided is True


def test_whole_number_accepts_the_cli_float_and_rejects_the_rest():
    assert whole_number(22) == 22 and whole_number(22.0) == 22 and whole_number(0.0) == 0
    assert (
        whole_number(22.5) is None
        and whole_number(True) is None
        and whole_number("22") is None
        and whole_number(None) is None
    )


def test_shown_prints_whole_floats_as_ints_and_missing_as_not_set():
    assert shown(22.0) == "22" and shown(22) == "22" and shown(2.5) == "2.5"
    assert shown(None) == "not set" and shown("x") == "'x'" and shown(False) == "False"


def test_must_be_true_flags_false_and_missing_but_not_true_or_unknown():
    assert list(must_be_true({"encrypted": False}, "encrypted", "ebs.")) == [
        "ebs.encrypted is False"
    ]
    assert list(must_be_true({}, "encrypted")) == ["encrypted is not set"]
    assert list(must_be_true(None, "encrypted")) == ["encrypted is not set"]
    assert list(must_be_true({"encrypted": "true"}, "encrypted")) == []
    assert list(must_be_true({"encrypted": UNKNOWN}, "encrypted")) == []
    assert list(must_be_true(UNKNOWN, "encrypted")) == []


def test_is_public_principal_names_everyone_only():
    assert (
        is_public_principal("*")
        and is_public_principal({"AWS": "*"})
        and is_public_principal({"AWS": ["arn:aws:iam::1:root", "*"]})
    )
    assert not is_public_principal(
        {"AWS": "arn:aws:iam::123456789012:root"}
    ) and not is_public_principal({"Service": "*"})
    assert not is_public_principal(None) and not is_public_principal({"AWS": UNKNOWN})
