"""The DR drill: two "regions" on loopback, a streaming replica, HAProxy weighted from the dr
stack's routing config, a scripted region loss and failback (`python -m ops.drill`; README "DR
drill").
"""
