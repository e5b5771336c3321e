"""The offline policy gate: run a Pulumi program under mocks and put every resource it
registers through the policy pack, the way `pulumi preview --policy-pack policies` would."""
