"""The one error the DR commands report to on-call: a sentence saying what is wrong and what to
do.
"""


class OpsError(Exception):
    pass
