"""Activation regions in parameter space and Jacobian ranks (``docs/math.md`` sections 3-4).

The setting of Karhadkar, Murray, Tseran, Montúfar (2023), "Mildly overparameterized
ReLU networks have a favorable loss landscape": data ``X`` of shape ``(n, d)`` (one row
per point), a shallow network ``f(x) = Σ_i v_i σ(w_i·x + b_i) (+ c)`` of width ``m``,
``x̃_j = (x_j, 1)`` (or ``x_j`` with ``bias=False``). Shapes follow NumPy's habit of one
row per sample: ``W`` is ``(m, d)``, ``b`` is ``(m,)``, ``v`` is ``(m,)``, a pattern
``A`` is ``(m, n)`` (unit by data point), batches add a leading axis ``T``.

- The **pattern** of ``(W, b)`` on ``X`` is ``A_ij = [w_i·x_j + b_i > 0]``.
- In the region of ``A`` the Jacobian with respect to ``(w_i, b_i)`` has rows
  ``J_j = (v_1 A_1j x̃_j, ..., v_m A_mj x̃_j)`` (``n × m(d+1)``); **full rank** means
  ``rank J = n``. With every ``v_i ≠ 0`` the rank does not depend on ``v``, and with
  respect to all parameters it is ``rank [J | 1]`` (``wrt="all"``).
- **Numerical rank** counts singular values above NumPy's default tolerance
  ``σ_max · max(rows, cols) · eps`` (or ``tol``), in float64. **Exact rank**
  (``exact=True``): float64 entries are dyadic rationals; the rank over Q of the Gram
  matrix ``(AᵀA) ∘ (X̃X̃ᵀ)`` is computed modulo random 26-bit primes (the
  maximum is exact with overwhelming probability), so it never hinges on a tolerance.
- **Sampling schemes** differ a lot; always report which: ``"init"`` (random
  parameters: ``init="torch"`` is ``nn.Linear``'s default ``U(±1/√d)`` for weights and
  biases, ``"gaussian"`` is ``N(0, 1)``), ``"uniform"`` (``A`` uniform on
  ``{0,1}^{m×n}``) and ``"nonempty"`` (each unit's row uniform over the dichotomies of
  ``X`` realizable by one unit).
"""

from __future__ import annotations

from ._patterns import count_regions, neuron_patterns, patterns
from ._phase import PhaseDiagram, phase_diagram
from ._ranks import full_rank_fraction, jacobian, jacobian_rank, matrix_rank, sample_patterns

__all__ = [
    "PhaseDiagram",
    "count_regions",
    "full_rank_fraction",
    "jacobian",
    "jacobian_rank",
    "matrix_rank",
    "neuron_patterns",
    "patterns",
    "phase_diagram",
    "sample_patterns",
]
