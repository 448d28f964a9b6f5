r"""Counter-based random streams, one per particle (Threefry-2x32-20, vectorised in NumPy).

Every uniform number used for particle :math:`i` is

.. math::  u = \bigl(\lfloor x_0 / 2^5 \rfloor\, 2^{26} + \lfloor x_1 / 2^6\rfloor + \tfrac12\bigr)
          / 2^{53}, \qquad (x_0, x_1) = \mathrm{Threefry}_{2\times32}^{20}(k;\ (i, c)),

where :math:`k` is a 64-bit key derived from the run seed and :math:`c` counts the draws of that
particle. A particle's numbers therefore depend only on ``(seed, particle index, draw number)``:
never on the batch it is simulated in, the order of the batches, or the number of workers
(brief 4.2, items 6-8). Threefry is the counter-based generator of Salmon et al. (SC'11) and the
one behind ``jax.random``; the tests check our NumPy version against JAX's.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["ParticleStreams", "stream_key", "threefry2x32", "uniforms"]

_ROTATIONS = (13, 15, 26, 6, 17, 29, 16, 24)
"""Rotation constants R_{32x2} of Threefry-2x32 (Salmon et al. 2011, table 4)."""
_PARITY = np.uint32(0x1BD11BDA)
"""Key-schedule parity constant of Threefish/Threefry (C240 truncated to 32 bits)."""


def stream_key(seed: int) -> NDArray[np.uint32]:
    """The Threefry key (two uint32 words) of a root ``seed``, via ``numpy.random.SeedSequence``."""
    return np.random.SeedSequence(int(seed)).generate_state(2, dtype=np.uint32)


def threefry2x32(
    key: NDArray[np.uint32], c0: NDArray[np.uint32], c1: NDArray[np.uint32]
) -> tuple[NDArray[np.uint32], NDArray[np.uint32]]:
    """Threefry-2x32 with 20 rounds of the counters ``(c0, c1)`` under ``key`` (elementwise)."""
    k0, k1 = np.uint32(key[0]), np.uint32(key[1])
    ks = (k0, k1, _PARITY ^ k0 ^ k1)
    x0 = np.asarray(c0, dtype=np.uint32) + ks[0]
    x1 = np.asarray(c1, dtype=np.uint32) + ks[1]
    tmp = np.empty_like(x1)
    for r in range(20):
        rot = _ROTATIONS[r % 8]
        x0 += x1
        np.right_shift(x1, np.uint32(32 - rot), out=tmp)  # x1 <- rotl(x1, rot) ^ x0, in place
        np.left_shift(x1, np.uint32(rot), out=x1)
        x1 |= tmp
        x1 ^= x0
        if r % 4 == 3:
            i = (r + 1) // 4
            x0 += ks[i % 3]
            x1 += ks[(i + 1) % 3] + np.uint32(i)
    return x0, x1


def uniforms(
    key: NDArray[np.uint32], particle: NDArray[np.int64], counter: NDArray[np.int64], k: int
) -> NDArray[np.float64]:
    """Return ``k`` uniforms in (0, 1) per particle, from draw numbers ``counter .. counter+k-1``.

    Parameters
    ----------
    key : ndarray of uint32, shape (2,)
    particle : ndarray of int64, shape (n,)
        Global particle indices (below 2**32).
    counter : ndarray of int64, shape (n,)
        Next unused draw number of each particle; the caller adds ``k`` afterwards.
    k : int

    Returns
    -------
    ndarray of float64, shape (n, k)
    """
    p = np.repeat(np.asarray(particle, dtype=np.uint32)[:, None], k, axis=1)
    c = (np.asarray(counter, dtype=np.int64)[:, None] + np.arange(k)[None, :]).astype(np.uint32)
    x0, x1 = threefry2x32(key, p, c)
    hi = (x0 >> np.uint32(5)).astype(np.float64)
    lo = (x1 >> np.uint32(6)).astype(np.float64)
    return (hi * 67108864.0 + lo + 0.5) / 9007199254740992.0


class ParticleStreams:
    """The streams of one batch of particles: a key, their global indices and draw counters.

    Internal to one engine call (it advances its counters as numbers are drawn).

    Parameters
    ----------
    seed : int
        Root seed of the simulation.
    particle : ndarray of int64, shape (n,)
        Global particle indices.
    """

    def __init__(self, seed: int, particle: NDArray[np.int64]) -> None:
        self.key = stream_key(seed)
        self.particle = np.asarray(particle, dtype=np.int64)
        self.counter = np.zeros(self.particle.shape, dtype=np.int64)
        self.spare = np.full(self.particle.shape, np.nan)  # second normal of a polar pair

    def draw(self, rows: NDArray[np.intp], k: int) -> NDArray[np.float64]:
        """``k`` fresh uniforms in (0, 1) for each batch row in ``rows``; shape (len(rows), k)."""
        out = uniforms(self.key, self.particle[rows], self.counter[rows], k)
        self.counter[rows] += k
        return out

    def disc_points(
        self, rows: NDArray[np.intp]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        r"""A point uniform in the unit disc per row and its squared radius :math:`s`.

        Pairs :math:`v = 2U - 1` uniform in the square :math:`[-1, 1]^2` are drawn (2 uniforms
        each) until :math:`0 < s = v_1^2 + v_2^2 < 1` (acceptance :math:`\pi/4`); each row
        draws from its own stream until it accepts. Returns ``v`` (rows, 2) and ``s`` (rows,).
        """
        v = np.empty((len(rows), 2), dtype=np.float64)
        s = np.empty(len(rows), dtype=np.float64)
        todo = np.arange(len(rows))
        while todo.size:
            vt = 2.0 * self.draw(rows[todo], 2) - 1.0
            st = vt[:, 0] * vt[:, 0] + vt[:, 1] * vt[:, 1]
            ok = (st > 0.0) & (st < 1.0)
            v[todo[ok]] = vt[ok]
            s[todo[ok]] = st[ok]
            todo = todo[~ok]
        return v, s

    def normals(self, rows: NDArray[np.intp], k: int) -> NDArray[np.float64]:
        r"""``k`` standard normals per row, shape (rows, k): Marsaglia's polar method, one disc
        point per pair, :math:`(z_1, z_2) = v\sqrt{-2\ln s / s}` (an odd ``k`` drops the last)."""
        pairs = []
        for _ in range((k + 1) // 2):
            v, s = self.disc_points(rows)
            pairs.append(v * np.sqrt(-2.0 * np.log(s) / s)[:, None])
        return np.concatenate(pairs, axis=1)[:, :k]

    def paired_normals(self, rows: NDArray[np.intp]) -> NDArray[np.float64]:
        r"""One standard normal per row, using both normals of each polar pair: a row that holds
        the spare second normal of its previous pair takes it (no draw); the others draw a pair,
        return :math:`z_1` and keep :math:`z_2` as their spare. Shape (len(rows),)."""
        z = self.spare[rows]
        fresh = np.isnan(z)
        self.spare[rows] = np.nan
        if fresh.any():
            pair = self.normals(rows[fresh], 2)
            z[fresh] = pair[:, 0]
            self.spare[rows[fresh]] = pair[:, 1]
        return z

    def exponentials(self, rows: NDArray[np.intp]) -> NDArray[np.float64]:
        """One Exp(1) number per row (inversion, ``-log u``); shape (len(rows),)."""
        return -np.log(self.draw(rows, 1)[:, 0])
