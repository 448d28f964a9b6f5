r"""Time-symmetric block time steps for KDK leapfrog (``integrate(..., method="block")``).

Every base step :math:`\Delta t` (the ``dt`` of :func:`~powertail.dwarfs.integrate.integrate`)
of a group of particles is split into :math:`2^k` KDK leapfrog sub-steps of
:math:`h = \Delta t / 2^k`. The level :math:`k` follows the shortest local time scale

.. math::

    \tau = \min\!\Bigl(\sqrt{r/|\mathbf a|},\; r/|\mathbf v|\Bigr),\qquad
    k = \Bigl\lceil \log_2 \frac{\Delta t}{\eta\,\tau} \Bigr\rceil \in [0, k_\max],

(free fall and crossing time; both vanish on a radial orbit through the cusp, where the
force direction flips, brief §2.4.6). The level of a step is chosen **time-symmetrically**:
:math:`k = \max[k(\text{start}), k(\text{end})]`, iterated until the end point computed at
level :math:`k` does not ask for a finer one, so the same pair of end points gives the same
level whichever way the step is taken (exactly reversible whenever the level does not fall
across the step, as in Makino et al. 2006, *New Astron.* 12, 124). Each sub-step is a
symplectic KDK step, so within a level the scheme is exactly leapfrog.

Vectorisation: test particles do not interact, and in any spherical :math:`\Phi(r, t)` the
angular momentum :math:`L` of every star is conserved. The integrator therefore sorts the
stars by :math:`L` once and gives each chunk of similar-:math:`L` stars one level per base
step (the finest any of them needs): the near-radial, cusp-crossing orbits (small :math:`L`)
share their chunks and pay for fine steps, the rest run at the base step. The sub-steps of a
base step are one ``lax.while_loop`` inside the jitted ``lax.scan`` over base steps (float64),
chunks bound the memory, and :math:`A(t), S(t)` are tabulated on the finest sub-step grid, so
a jump still acts exactly at a base-step boundary.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import NDArray

from powertail.dwarfs.potentials.base import SphericalPotential
from powertail.dwarfs.potentials.evolving import TimeDependentPotential

__all__ = ["block_tick_inputs", "compile_block", "sort_by_angular_momentum"]


def sort_by_angular_momentum(x: NDArray[np.float64], v: NDArray[np.float64]) -> NDArray[np.int64]:
    """Order of the stars by :math:`|\\mathbf x \\times \\mathbf v|` (conserved in a spherical
    potential, so a chunk of this order keeps its near-radial orbits together all run long)."""
    return np.argsort(np.linalg.norm(np.cross(x, v), axis=1), kind="stable")


def block_tick_inputs(
    tdp: TimeDependentPotential, t0: float, dt: float, n_steps: int, max_level: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """A(t), S(t) on the finest sub-step grid of every base step, shape (n_steps, 2^k_max + 1).

    Column 0 is the value just after the step's start and the last column the value just
    before its end, so a jump on a base-step boundary acts exactly there.
    """
    ticks = 2**max_level
    start = t0 + dt * np.arange(n_steps, dtype=np.float64)
    end = t0 + dt * np.arange(1, n_steps + 1, dtype=np.float64)
    times = start[:, None] + dt * (np.arange(ticks + 1) / ticks)[None, :]
    out = []
    for history in (tdp.amplitude, tdp.scale):
        values = history.value(times)
        values[:, 0] = history.value(start)
        values[:, -1] = history.value_before(end)
        out.append(values)
    return out[0], out[1]


@functools.lru_cache(maxsize=8)
def compile_block(
    base: SphericalPotential,
    has_scale: bool,
    keep_snapshots: bool,
    max_level: int,
    eta: float,
):
    """Build the jitted ``run(x, v, kick_inputs, snap_amp, snap_scl, dt)``.

    ``kick_inputs`` has shape (n_blocks, every, 2, 2^k_max + 1): A and S of
    :func:`block_tick_inputs` per snapshot block. Returns final x, v, energies at snapshots,
    snapshots of x, v, and the number of sub-steps taken in each snapshot block (the cost).
    """
    from powertail.jaxconfig import jax_with_x64

    jax = jax_with_x64()
    jnp = jax.numpy
    lax = jax.lax
    ticks = 2**max_level

    def base_acc(x):
        return base.acceleration_xp(x, jnp)

    def acc(x, g, amp, scl):
        """Acceleration at x; ``g`` is the cached base acceleration (unused with S(t))."""
        if has_scale:
            return (amp / scl**2) * base_acc(x / scl)
        return amp * g

    def level(x, v, a, dt):
        r2 = jnp.sum(x * x, axis=-1)
        a2 = jnp.maximum(jnp.sum(a * a, axis=-1), 1e-300)
        v2 = jnp.maximum(jnp.sum(v * v, axis=-1), 1e-300)
        tau2 = jnp.minimum(jnp.sqrt(r2 / a2), r2 / v2)  # min(r/|a|, r^2/v^2)
        need = jnp.log2(dt / eta) - 0.5 * jnp.log2(jnp.maximum(tau2, 1e-300))
        return jnp.clip(jnp.ceil(jnp.max(need)), 0, max_level).astype(jnp.int32)

    def advance(x, v, g, amp, scl, dt, k):
        """2^k KDK sub-steps of dt / 2^k over one base step."""
        stride = jnp.right_shift(ticks, k)
        h = dt / jnp.left_shift(1, k)

        def body(j, state):
            x, v, g = state
            i0 = j * stride
            v = v + 0.5 * h * acc(x, g, amp[i0], scl[i0])
            x = x + h * v
            g = g if has_scale else base_acc(x)
            v = v + 0.5 * h * acc(x, g, amp[i0 + stride], scl[i0 + stride])
            return x, v, g

        return lax.fori_loop(0, jnp.left_shift(1, k), body, (x, v, g))

    def step(carry, inputs):
        x, v, g, dt, cost = carry
        amp, scl = inputs[0], inputs[1]
        k0 = level(x, v, acc(x, g, amp[0], scl[0]), dt)
        x1, v1, g1 = advance(x, v, g, amp, scl, dt, k0)
        k1 = jnp.maximum(k0, level(x1, v1, acc(x1, g1, amp[-1], scl[-1]), dt))

        def finer(state):
            return state[1] > state[0]

        def redo(state):  # the end asks for a finer level: take the step again at that level
            _, k_want, _, _, _, n = state
            x2, v2, g2 = advance(x, v, g, amp, scl, dt, k_want)
            k_next = jnp.maximum(k_want, level(x2, v2, acc(x2, g2, amp[-1], scl[-1]), dt))
            return k_want, k_next, x2, v2, g2, n + jnp.left_shift(1, k_want)

        _, _, x1, v1, g1, n = lax.while_loop(
            finer, redo, (k0, k1, x1, v1, g1, jnp.left_shift(1, k0))
        )
        return (x1, v1, g1, dt, cost + n), None

    def energy(x, v, amp, scl):
        return 0.5 * jnp.sum(v * v, axis=-1) + (amp / scl) * base.phi_xp(x / scl, jnp)

    def block(carry, inputs):
        kick_block, a_snap, s_snap = inputs
        x, v, g, dt, _ = carry
        (x, v, g, dt, cost), _ = lax.scan(step, (x, v, g, dt, jnp.int32(0)), kick_block)
        e = energy(x, v, a_snap, s_snap)
        return (x, v, g, dt, cost), ((e, cost, x, v) if keep_snapshots else (e, cost))

    @jax.jit
    def run(x, v, kick_inputs, snap_amp, snap_scl, dt):
        g = jnp.zeros_like(x) if has_scale else base_acc(x)
        e0 = energy(x, v, snap_amp[0], snap_scl[0])
        (x_end, v_end, _, _, _), outs = lax.scan(
            block, (x, v, g, dt, jnp.int32(0)), (kick_inputs, snap_amp[1:], snap_scl[1:])
        )
        e_all = jnp.concatenate([e0[None], outs[0]], axis=0)
        if keep_snapshots:
            x_all = jnp.concatenate([x[None], outs[2]], axis=0)
            v_all = jnp.concatenate([v[None], outs[3]], axis=0)
        else:
            x_all = v_all = jnp.zeros((0,))
        return x_end, v_end, e_all, x_all, v_all, outs[1]

    return run
