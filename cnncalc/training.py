"""The memory one training step holds, for the input's batch (`analyze --memory training`).

torchinfo's figures (the table's "Estimated total size") answer for inference with its own
rule; training holds more, and each term has a rule of its own (docs/memory.md):

    parameters        params × e
    gradients         trainable params × e            one per parameter
    optimizer state   states × trainable params × e   sgd 0, momentum 1, adam 2 per parameter
    buffers           buffers × e                     BN running statistics: once, no gradient
    input             the input batch × e             the first layer's backward reads it
    activations       Σ every row's output bytes      kept for backward; rows already count
                                                      the batch
    total             the sum

where e is the element size of `--dtype`, used for every term (cnncalc does not model mixed
precision, whose fp32 master weights and optimizer state would be larger than e).
Every figure is exact: an int, or a sympy expression for a symbolic spec.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .analysis import DTYPE_BYTES
from .numbers import total

# states kept per trainable parameter: SGD none, SGD with momentum its velocity, Adam its
# first and second moments
OPTIMIZER_STATES = {"sgd": 0, "momentum": 1, "adam": 2}
# Adam: the common choice for training today, and the larger figure, so a budget checked
# against it does not pass a net that Adam could not train
DEFAULT_OPTIMIZER = "adam"


class TrainingMemory(NamedTuple):
    optimizer: str
    states_per_param: int
    param_bytes: Any
    gradient_bytes: Any
    optimizer_bytes: Any
    buffer_bytes: Any
    input_bytes: Any
    activation_bytes: Any
    total_bytes: Any

    def terms(self) -> list[tuple[str, Any]]:
        """(key, bytes) of each term, in the order the table and the JSON show them."""
        return [("param_bytes", self.param_bytes), ("gradient_bytes", self.gradient_bytes),
                ("optimizer_bytes", self.optimizer_bytes),
                ("buffer_bytes", self.buffer_bytes), ("input_bytes", self.input_bytes),
                ("activation_bytes", self.activation_bytes)]


def training_memory(report, optimizer: str = DEFAULT_OPTIMIZER) -> TrainingMemory:
    """Each term of one training step's memory for `report` (its dtype, its batch)."""
    states = OPTIMIZER_STATES[optimizer]
    elem = DTYPE_BYTES[report.dtype]
    t = report.totals
    params = t.params * elem
    gradients = t.trainable_params * elem
    optimizer_state = states * t.trainable_params * elem
    buffers = t.buffers * elem
    activations = total(r.output_bytes for r in report.rows)
    return TrainingMemory(
        optimizer, states, params, gradients, optimizer_state, buffers, t.input_bytes,
        activations,
        total([params, gradients, optimizer_state, buffers, t.input_bytes, activations]))


def memory_total(report):
    """The memory figure of a report, what `check --max-memory`, `assert memory` and a
    sweep's memory column read: the table's estimated total (torchinfo's: input, forward
    and backward pass, parameters), or, for a report analysed with `--memory training`, a
    training step's total."""
    return report.totals.total_bytes if report.training is None else \
        report.training.total_bytes


def training_total(report, optimizer: str = DEFAULT_OPTIMIZER):
    """The bytes one training step holds with `optimizer`, whether or not the report was
    analysed with `--memory training`."""
    if report.training is not None and report.training.optimizer == optimizer:
        return report.training.total_bytes
    return training_memory(report, optimizer).total_bytes
