"""The policy pack as the Pulumi CLI runs it: `pulumi preview --policy-pack policies`."""

import sys
from pathlib import Path

# The CLI runs this file with only policies/ on sys.path; the rules import as the `policies`
# package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack  # noqa: E402

from policies.gate.pack import PACK_ENFORCEMENT, PACK_NAME  # noqa: E402
from policies.rules import ALL_POLICIES  # noqa: E402

PolicyPack(name=PACK_NAME, policies=ALL_POLICIES, enforcement_level=PACK_ENFORCEMENT)
