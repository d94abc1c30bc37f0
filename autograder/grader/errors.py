"""Why a batch cannot be graded at all (as opposed to one submission failing, which is a result)."""


class GradingError(RuntimeError):
    """The batch cannot start (bad course layout, no workers, no isolation where it is
    required, an unknown assignment); the message says why."""
