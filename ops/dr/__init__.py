"""On-call DR commands: `python -m ops.dr status|plan|switchover|failover` (see README "DR
runbook").
"""
