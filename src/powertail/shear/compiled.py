r"""Compiled (Numba) event-driven engine: the same exact algorithm as the NumPy reference, one
particle at a time.

The NumPy engine (:mod:`powertail.shear.montecarlo`, ``engine="numpy"``) advances all particles
in lockstep rounds; this module runs each particle's whole path in one compiled loop. The
algorithm is the reference's, step for step, and so is the use of the random numbers: particle
:math:`i` takes its uniforms from the same Threefry-2x32-20 stream
:math:`u = \mathrm{Threefry}(k; (i, c))`, :math:`c = 0, 1, 2, \dots`
(:mod:`powertail.shear.streams`), in the same order:

* normals: Marsaglia's polar method, pairs of uniforms until a point falls in the unit disc
  (3 normals = 2 pairs); thermal start: 3 normals;
* next collision: :math:`s = E/c_0` with :math:`E = -\ln u` (γ = 0, BGK); δ-model: :math:`E` and
  the closed-form inversion of :math:`\Lambda(s) = E` (:mod:`powertail.shear.flights`);
  Maxwellian γ ≠ 0: thinning, 2 uniforms per candidate, per-interval bounds from the same table of
  exact rates and the same squeeze;
* collision: partner :math:`v_*` (γ = 0: 3 normals; γ < 0: 3 uniforms per rejection attempt
  of the three-piece envelope, then 3 normals; γ > 0: 3 uniforms + 3 normals per attempt),
  then :math:`\omega` (uniform on :math:`S^2`: one disc point, Marsaglia 1972;
  :math:`b \propto |n\cdot\omega|`: 3 normals + 1 uniform), and
  :math:`w' = w - (u\cdot\omega)\omega`.

So a float64 reference run (``engine="numpy", precision="double"``) and this engine follow the
same path for the same seed, equal up to the last-bit differences between NumPy's vectorised
``log``/``exp``/``sin``/``cos`` and the C library's (tested).

Runs without collision records of the Maxwellian background with γ ≤ 0 and ``uniform-omega``
scattering (γ = 0 included) use the specialised loop of :mod:`powertail.shear.compiled_projected`
instead of :func:`run_particles`: the same paths bit for bit (tested), about twice as fast.

Overflow safety without ``longdouble`` (which Numba does not support): the state is
:math:`w = m\,2^e` with float64 mantissas :math:`m` and an integer exponent :math:`e \ge 0` shared
by the three components. Multiplying by a power of two is exact, so while :math:`|w|` is below
:data:`RESCALE_ABOVE` (:math:`e = 0`) the arithmetic is bit for bit plain float64, and beyond it
nothing overflows: speeds up to :math:`2^{2^{62}}`. Every formula that needs :math:`|w|` uses
:math:`\ln|w| = \ln|m| + e\ln 2` (rates :math:`c_0|w|^\gamma` and Kummer's series at large speed,
:math:`\rho^{a}` in the δ-model inversion); the flight map and the collision rule are linear in
:math:`w` and act on :math:`m`. The special functions (``hyp2f1``, ``hyp1f1``, and
``gammaincinv`` for γ > 0) are SciPy's own compiled ones (``scipy.special.cython_special``),
called through their addresses, so the compiled code is cacheable (``cache=True``; without a
writable cache directory it is compiled in memory at first use).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import get_cython_function_address, intrinsic
from numpy.typing import NDArray

__all__ = ["RESCALE_ABOVE", "run_particles", "special_addresses"]

RESCALE_ABOVE = 2.0**256
r"""When a mantissa component exceeds this, :math:`(m, e)` is renormalised (:math:`e` grows)."""

_LN2 = math.log(2.0)

# model kinds (integers so that one compiled function serves every model)
KIND_CONSTANT = 0  # Maxwellian background, gamma = 0: rate c0
KIND_BGK = 1  # linear BGK: rate c0, w' ~ M_T
KIND_DELTA = 2  # delta background: rate c0 |w|^-a, closed-form flight integral
KIND_THINNING = 3  # Maxwellian background, gamma != 0: thinning


def _jit(fn=None, *, allocates=False, **options):
    """``numba.njit(cache=True)``, falling back to an in-memory compile when no cache directory
    can be written.

    Helpers that do not allocate are compiled without reference counting (numba's ``_nrt=False``):
    they only borrow the arrays they are given, and a call then costs a few nanoseconds instead of
    the ~40 ns of the atomic incref/decref pairs on every array argument (measured; the hot
    helpers run several times per collision).
    """

    def wrap(f):
        opts = dict(options) if allocates else {"_nrt": False, **options}
        try:
            return njit(cache=True, **opts)(f)
        except RuntimeError:  # numba: "cannot cache function ...: no locator available"
            return njit(cache=False, **opts)(f)

    return wrap(fn) if fn is not None else wrap


# --- calling SciPy's compiled special functions by address --------------------------------------


def _double_codegen(n_args: int):
    """Code generator for a call ``f(address, x1, ..., xn) -> double`` of a Cython
    ``double f(double..., int skip_dispatch)`` function pointer passed at run time (so no
    pointer is baked into the compiled code and it can be cached)."""

    def codegen(context, builder, signature, llargs):
        dbl = ir.DoubleType()
        fnty = ir.FunctionType(dbl, [dbl] * n_args + [ir.IntType(32)])
        fn = builder.inttoptr(llargs[0], fnty.as_pointer())
        return builder.call(fn, [*llargs[1:], ir.Constant(ir.IntType(32), 0)])

    return codegen


@intrinsic
def _call2(typingctx, address, x1, x2):
    return types.float64(types.int64, types.float64, types.float64), _double_codegen(2)


@intrinsic
def _call3(typingctx, address, x1, x2, x3):
    sig = types.float64(types.int64, types.float64, types.float64, types.float64)
    return sig, _double_codegen(3)


@intrinsic
def _call4(typingctx, address, x1, x2, x3, x4):
    sig = types.float64(types.int64, types.float64, types.float64, types.float64, types.float64)
    return sig, _double_codegen(4)


# indices into the address array
_HYP2F1, _HYP1F1, _GAMMAINC, _GAMMAINCINV = 0, 1, 2, 3


@lru_cache(maxsize=1)
def special_addresses() -> NDArray[np.int64]:
    """Addresses of SciPy's float64 ``hyp2f1``, ``hyp1f1``, ``gammainc``, ``gammaincinv``."""
    names = ("__pyx_fuse_1hyp2f1", "__pyx_fuse_1hyp1f1", "gammainc", "gammaincinv")
    return np.array(
        [get_cython_function_address("scipy.special.cython_special", n) for n in names],
        dtype=np.int64,
    )


# --- Threefry-2x32-20 streams ----------------------------------------------------------------


BLOCK = 16
"""Uniforms generated per refill of a particle's buffer (16 consecutive counters at once: the
loop over them compiles to SIMD code, about 4 times faster than one block at a time; this needs
``_threefry_uniform`` and ``_rotl`` inlined at Numba IR level, ``inline="always"``: measured
2.5 ns per uniform instead of 11 ns as a call per counter)."""

_M32 = 0xFFFFFFFF


@_jit(inline="always")
def _rotl(x, r):
    return ((x << r) | (x >> (32 - r))) & _M32


@_jit(inline="always")
def _threefry_uniform(k0, k1, k2, particle, counter):
    r"""Threefry-2x32-20 of the counter pair (particle, counter) under the key schedule
    :math:`(k_0, k_1, k_2)`, mapped to :math:`(\lfloor x_0/2^5\rfloor 2^{26} +
    \lfloor x_1/2^6\rfloor + 1/2)/2^{53}`. 32-bit words held in int64 and masked."""
    x0 = (particle + k0) & _M32
    x1 = (counter + k1) & _M32
    for block in range(5):
        if block % 2 == 0:
            x0 = (x0 + x1) & _M32
            x1 = _rotl(x1, 13) ^ x0
            x0 = (x0 + x1) & _M32
            x1 = _rotl(x1, 15) ^ x0
            x0 = (x0 + x1) & _M32
            x1 = _rotl(x1, 26) ^ x0
            x0 = (x0 + x1) & _M32
            x1 = _rotl(x1, 6) ^ x0
        else:
            x0 = (x0 + x1) & _M32
            x1 = _rotl(x1, 17) ^ x0
            x0 = (x0 + x1) & _M32
            x1 = _rotl(x1, 29) ^ x0
            x0 = (x0 + x1) & _M32
            x1 = _rotl(x1, 16) ^ x0
            x0 = (x0 + x1) & _M32
            x1 = _rotl(x1, 24) ^ x0
        i = block + 1  # key injection i: x0 += ks[i % 3], x1 += ks[(i + 1) % 3] + i
        ia, ib = i % 3, (i + 1) % 3
        ka = k0 if ia == 0 else (k1 if ia == 1 else k2)
        kb = k0 if ib == 0 else (k1 if ib == 1 else k2)
        x0 = (x0 + ka) & _M32
        x1 = (x1 + kb + i) & _M32
    return ((x0 >> 5) * 67108864.0 + (x1 >> 6) + 0.5) / 9007199254740992.0


@_jit
def _refill(ks, particle, counter, buf):
    """Uniforms of draws ``counter .. counter + BLOCK - 1`` of ``particle`` into ``buf``."""
    k0, k1, k2 = ks[0], ks[1], ks[2]
    for j in range(BLOCK):
        buf[j] = _threefry_uniform(k0, k1, k2, particle, counter + j)


@_jit
def _draw(ks, pid, ctr, buf):
    """Next uniform of the particle: ``ctr = [next draw number, position in buf]``."""
    pos = ctr[1]
    if pos == BLOCK:
        _refill(ks, pid, ctr[0], buf)
        pos = 0
    ctr[1] = pos + 1
    ctr[0] += 1
    return buf[pos]


@_jit
def _disc(ks, particle, ctr, buf):
    """A point uniform in the unit disc and its squared radius (``ParticleStreams.disc_points``)."""
    while True:
        v0 = 2.0 * _draw(ks, particle, ctr, buf) - 1.0
        v1 = 2.0 * _draw(ks, particle, ctr, buf) - 1.0
        s = v0 * v0 + v1 * v1
        if s > 0.0 and s < 1.0:
            return v0, v1, s


@_jit
def _normals3(ks, particle, ctr, buf):
    """Three normals from two polar-method pairs, as ``ParticleStreams.normals(rows, 3)``."""
    v0, v1, s = _disc(ks, particle, ctr, buf)
    f = math.sqrt(-2.0 * math.log(s) / s)
    v2, _, s2 = _disc(ks, particle, ctr, buf)
    return v0 * f, v1 * f, v2 * math.sqrt(-2.0 * math.log(s2) / s2)


# --- overflow-safe vector helpers ---------------------------------------------------------------


@_jit
def _norm3(a, b, c):
    r""":math:`\sqrt{a^2+b^2+c^2}` as NumPy computes it, rescaled only where squares leave the
    float64 range."""
    s = a * a + b * b + c * c
    if 1e-290 < s < 1e300:
        return math.sqrt(s)
    mx = max(abs(a), abs(b), abs(c))
    if mx == 0.0:
        return 0.0
    a, b, c = a / mx, b / mx, c / mx
    return mx * math.sqrt(a * a + b * b + c * c)


@_jit
def _log_abs(x, e):
    if x == 0.0:
        return -np.inf
    return math.log(abs(x)) + e * _LN2


@_jit
def _renormalise(m, e):
    r"""Keep :math:`w = m 2^e` with :math:`e \ge 0`: grow :math:`e` when a mantissa passes
    :data:`RESCALE_ABOVE`, shrink it (never below 0) when all mantissas fall below 1."""
    mx = max(abs(m[0]), abs(m[1]), abs(m[2]))
    if mx > RESCALE_ABOVE:
        k = math.frexp(mx)[1]
    elif e > 0 and mx < 1.0:
        k = -e if mx == 0.0 else max(-e, math.frexp(mx)[1])
    else:
        return e
    for j in range(3):
        m[j] = math.ldexp(m[j], -k)
    return e + k


# --- collision rates ------------------------------------------------------------------------------


@_jit
def _rate_exact(kind, gamma, T, c0, prefactor, speed, log_speed, fn):
    r"""Exact :math:`\lambda(|w|)` (as :func:`powertail.shear.model.collision_rate`); ``speed``
    may be ``inf`` when :math:`|w|` exceeds float64, ``log_speed`` is always valid."""
    if kind == KIND_DELTA:
        if math.isinf(speed):
            return c0 * math.exp(gamma * log_speed)
        return c0 * speed**gamma
    x = speed * speed / (2.0 * T)
    if x <= 1.0e4:
        return prefactor * _call3(fn[_HYP1F1], -gamma / 2.0, 1.5, -x)
    A = -gamma / 2.0
    log_x = 2.0 * log_speed - math.log(2.0 * T)
    series = 1.0
    if log_x < 700.0:
        xl = math.exp(log_x)
        term = 1.0
        for n in range(1, 4):
            term = term * (A + n - 1) * (A - 0.5 + n - 1) / n / xl
            series = series + term
    power = math.exp(gamma * log_speed) if math.isinf(speed) else speed**gamma
    return c0 * power * series


@_jit
def _table_bounds(table, step, speed):
    """Exact tabulated rates bracketing ``speed`` (lower, upper); whether it is off the table."""
    if not speed < 1.0e300:
        return 0.0, 0.0, True
    i = min(int(math.asinh(speed) / step), table.size - 2)
    a, b = table[i], table[i + 1]
    return min(a, b), max(a, b), False


@_jit
def _speed_along(m, e, K, s):
    """Speed (float64, ``inf`` beyond its range) and log-speed of the flight at time ``s``."""
    w1 = m[0] - K * m[1] * s
    n = _norm3(w1, m[1], m[2])
    if e == 0 and n < 1.0e300:
        return n, math.log(n) if n > 0 else -np.inf
    log_speed = math.log(n) + e * _LN2 if n > 0 else -np.inf
    return (math.ldexp(n, e) if log_speed < 700.0 else np.inf), log_speed


@_jit
def _thinned(m, e, horizon, kind, gamma, K, T, c0, prefactor, table, step, fn, ks, pid, ctr, buf):
    """Thinning with per-interval table bounds, as ``flights.thinned_next_collision``."""
    proposals = 0
    s_star = m[0] / (K * m[1]) if K * m[1] != 0 else 0.0
    sa = 0.0
    sb = 0.0
    bound = 0.0
    fresh = True
    while True:
        if fresh:
            sp, lsp = _speed_along(m, e, K, sa)
            lower_a, _, out_a = _table_bounds(table, step, sp)
            if out_a:
                lower_a = _rate_exact(kind, gamma, T, c0, prefactor, sp, lsp, fn)
            length = 1.0 / lower_a if lower_a > 0 else np.inf
            if gamma < 0:
                length = max(length, sa)
            sb = sa + length
            if gamma < 0:
                closest = min(max(s_star, sa), sb)
                ext, lext = _speed_along(m, e, K, closest)
            else:
                e1, l1 = _speed_along(m, e, K, sa)
                e2, l2 = _speed_along(m, e, K, sb)
                ext, lext = (e1, l1) if e1 >= e2 else (e2, l2)
            _, upper, untabled = _table_bounds(table, step, ext)
            if untabled:
                upper = _rate_exact(kind, gamma, T, c0, prefactor, ext, lext, fn)
            bound = upper
            fresh = False
        u0 = _draw(ks, pid, ctr, buf)
        u1 = _draw(ks, pid, ctr, buf)
        proposals += 1
        cand = sa + (-math.log(u0)) / bound if bound > 0 else np.inf
        if cand > horizon:
            return np.inf, proposals
        if cand > sb:
            sa = sb
            fresh = True
            continue
        level = u1 * bound
        spc, lspc = _speed_along(m, e, K, cand)
        lower, upper, untabled = _table_bounds(table, step, spc)
        accept = level < lower and not untabled
        if not accept and (level < upper or untabled):
            accept = level < _rate_exact(kind, gamma, T, c0, prefactor, spc, lspc, fn)
        if accept:
            return cand, proposals
        sa = cand


# --- delta model: closed-form flight integral -----------------------------------------------------


@_jit
def _h(z, a, h_inf, fn):
    r""":math:`h(z) = \int_0^z (1+x^2)^{-a/2}dx` (as ``flights.h_function``)."""
    if a == 1.0:
        return math.asinh(z)
    az = abs(z)
    if az <= 1.0e4:
        return z * _call4(fn[_HYP2F1], 0.5, a / 2.0, 1.5, -(z * z))
    tail = az ** (1.0 - a) / (1.0 - a) + h_inf + a / (2.0 * (1.0 + a)) * az ** (-1.0 - a)
    return math.copysign(tail, z)


@_jit
def _h_inverse(H, a, h_inf, h_switch, fn):
    """Solve h(z) = H (as ``flights.h_inverse``); inf when the flight never ends (a > 1)."""
    if a == 1.0:
        return math.sinh(H) if abs(H) < 11356.0 else math.copysign(np.inf, H)
    aH = abs(H)
    if H == 0.0:
        return 0.0
    if a > 1.0 and aH >= h_inf:
        return math.copysign(np.inf, H)
    if aH > h_switch:
        z = ((1.0 - a) * (aH - h_inf)) ** (1.0 / (1.0 - a))
        for _ in range(4):
            g = z ** (1.0 - a) / (1.0 - a) + h_inf + a / (2.0 * (1.0 + a)) * z ** (-1.0 - a) - aH
            dg = z ** (-a) - 0.5 * a * z ** (-2.0 - a)
            z = z - g / dg
        return math.copysign(z, H)
    lo, hi = 0.0, 1.0e4
    z = min(aH, 1.0e4)
    if a < 1.0 and aH > 5.0:
        z = min(max(((1.0 - a) * max(aH - h_inf, 0.0)) ** (1.0 / (1.0 - a)), 0.0), 1.0e4)
    for _ in range(80):
        g = z * _call4(fn[_HYP2F1], 0.5, a / 2.0, 1.5, -(z * z)) - aH
        if g < 0:
            lo = z
        if g > 0:
            hi = z
        znew = z - g * (1.0 + z * z) ** (a / 2.0)
        if znew <= lo or znew >= hi:
            znew = 0.5 * (lo + hi)
        done = abs(znew - z) <= 4e-16 * max(1.0, abs(z))
        z = znew
        if done:
            break
    return math.copysign(z, H)


@_jit
def _delta_next(m, e, E, a, K, c0, h_inf, h_switch, fn):
    """Exact next collision time of the delta model (as ``flights.delta_next_collision``)."""
    if m[1] == 0.0 or K == 0.0:
        log_speed = math.log(_norm3(m[0], m[1], m[2])) + e * _LN2
        return E * math.exp(a * log_speed) / c0
    rho = _norm3(m[1], m[2], 0.0)
    z0 = -m[0] / rho
    # |w2| / rho^(1-a) = (|m2| / rho_m^(1-a)) 2^(e a)
    step = E * K * abs(m[1]) / (c0 * rho ** (1.0 - a))
    if e > 0:
        step *= math.exp(e * a * _LN2)
    target = _h(z0, a, h_inf, fn) + math.copysign(step, m[1])
    z1 = _h_inverse(target, a, h_inf, h_switch, fn)
    return rho * (z1 - z0) / (K * m[1])


# --- collisions -----------------------------------------------------------------------------------


@_jit
def _partner_weight(x, A, B, c1, log_c2_base, d, ks, pid, ctr, buf):
    r"""Sample :math:`q \propto q^{A-1}(1-q)^{B-1}e^{-xq}` by the three-piece envelope of
    ``jumps.sample_partner_weight`` (same draws, same formulas); :math:`x = \infty` (speeds
    beyond :math:`10^{154}`) gives its limit :math:`q = 0`."""
    rho = 1.0 - d
    log_c1 = math.log(c1)
    finite = not math.isinf(x)
    xf = x if finite else 4.0
    qa = min(1.0 / max(xf, 2.0), 0.5)
    span = -math.expm1(-rho * (xf / 2.0 - 1.0)) if xf > 2.0 else 0.0
    mass_a = 1.0 / A
    mass_b = math.exp(-1.0) * span / rho
    mass_c = math.exp(log_c2_base - xf / 2.0 - A * math.log(qa) - log_c1) * 0.5**B / B
    while True:  # the envelope depends on x only: computed once, not per attempt
        u0 = _draw(ks, pid, ctr, buf)
        u1 = _draw(ks, pid, ctr, buf)
        u2 = _draw(ks, pid, ctr, buf)
        if not finite:
            return 0.0
        level = u0 * (mass_a + mass_b + mass_c)
        if level < mass_a:
            qt = min(max(qa * u1 ** (1.0 / A), 1e-300), 1.0 - 1e-16)
            log_ratio = (B - 1) * math.log1p(-qt) - xf * qt - log_c1
        elif level < mass_a + mass_b:
            y = 1.0 - math.log1p(-u1 * span) / rho
            qt = min(max(y / xf, 1e-300), 1.0 - 1e-16)
            log_ratio = (A - 1) * math.log(y) - d * (y - 1.0) + (B - 1) * math.log1p(-qt) - log_c1
        else:
            qt = min(max(1.0 - 0.5 * u1 ** (1.0 / B), 1e-300), 1.0 - 1e-16)
            log_ratio = (A - 1) * math.log(qt) - xf * qt + xf / 2.0 - log_c2_base
        if math.log(u2) < log_ratio:
            return qt


@_jit
def _half_sq_speed(m, e, T):
    r""":math:`x = |w|^2/(2T)` of :math:`w = m 2^e` (``inf`` beyond float64)."""
    if e == 0:
        return (m[0] * m[0] + m[1] * m[1] + m[2] * m[2]) / (2.0 * T)
    lx = 2.0 * (math.log(_norm3(m[0], m[1], m[2])) + e * _LN2) - math.log(2.0 * T)
    return math.exp(lx) if lx < 700.0 else np.inf


@_jit
def _collide_projected(m, e, gamma, T, pc, ks, pid, ctr, buf, spare):
    r"""Collision for a Maxwellian background with :math:`\gamma \le 0` and ``uniform-omega``
    scattering (as ``jumps._scatter_projected``): :math:`q` (γ < 0), :math:`\omega`, one normal
    :math:`Z` for :math:`G\cdot\omega`, and :math:`w' = w - ((1-q)w\cdot\omega - \sqrt{(1-q)T}Z)
    \,\omega` on the mantissas (in place). A separate small function: the general
    :func:`_scatter` with the model kind known only at run time costs twice as much per collision
    (measured: 170 ns vs 90 ns per collision of the γ = 0 loop)."""
    scale = math.ldexp(1.0, -e)  # thermal velocities on the mantissa scale
    q = 0.0
    if gamma < 0.0:
        x = _half_sq_speed(m, e, T)
        q = _partner_weight(x, pc[0], pc[1], pc[2], pc[3], pc[4], ks, pid, ctr, buf)
    v0, v1, s = _disc(ks, pid, ctr, buf)
    r = 2.0 * math.sqrt(1.0 - s)
    o0, o1, o2 = v0 * r, v1 * r, 1.0 - 2.0 * s
    z = spare[0]  # ParticleStreams.paired_normals: the spare of the last pair, else a new pair
    if math.isnan(z):
        a0, a1, sa = _disc(ks, pid, ctr, buf)
        f = math.sqrt(-2.0 * math.log(sa) / sa)
        z = a0 * f
        spare[0] = a1 * f
    else:
        spare[0] = np.nan
    along = m[0] * o0 + m[1] * o1 + m[2] * o2
    dot = (1.0 - q) * along - math.sqrt((1.0 - q) * T) * scale * z
    m[0] = m[0] - dot * o0
    m[1] = m[1] - dot * o1
    m[2] = m[2] - dot * o2
    return e


@_jit
def _scatter(m, e, kind, scattering_cm, gamma, T, mean_v_g, pc, fn, ks, pid, ctr, buf):
    """Collision: partner, direction and w' = w - (u.omega) omega on the mantissas (in place)."""
    sqrt_t = math.sqrt(T)
    if kind == KIND_BGK:
        z0, z1, z2 = _normals3(ks, pid, ctr, buf)
        m[0], m[1], m[2] = sqrt_t * z0, sqrt_t * z1, sqrt_t * z2
        return 0
    scale = math.ldexp(1.0, -e)  # partner velocities are thermal: v/2^e on the mantissa scale
    if kind == KIND_DELTA:
        u0, u1, u2 = m[0], m[1], m[2]
    elif gamma == 0.0:
        z0, z1, z2 = _normals3(ks, pid, ctr, buf)
        u0 = m[0] - sqrt_t * z0 * scale
        u1 = m[1] - sqrt_t * z1 * scale
        u2 = m[2] - sqrt_t * z2 * scale
    elif gamma < 0.0:
        x = _half_sq_speed(m, e, T)
        q = _partner_weight(x, pc[0], pc[1], pc[2], pc[3], pc[4], ks, pid, ctr, buf)
        z0, z1, z2 = _normals3(ks, pid, ctr, buf)
        r = math.sqrt((1.0 - q) * T) * scale
        u0 = m[0] - (q * m[0] + r * z0)
        u1 = m[1] - (q * m[1] + r * z1)
        u2 = m[2] - (q * m[2] + r * z2)
    else:  # 0 < gamma <= 1: mixture proposal and rejection (as jumps.sample_partner)
        speed = _norm3(m[0], m[1], m[2])
        log_speed = math.log(speed) + e * _LN2 if speed > 0 else -np.inf
        wg = math.ldexp(speed, e) ** gamma if e == 0 else math.exp(gamma * log_speed)
        while True:
            a0 = _draw(ks, pid, ctr, buf)
            a1 = _draw(ks, pid, ctr, buf)
            a2 = _draw(ks, pid, ctr, buf)
            z0, z1, z2 = _normals3(ks, pid, ctr, buf)
            if a0 * (wg + mean_v_g) < wg:
                v0, v1, v2 = sqrt_t * z0, sqrt_t * z1, sqrt_t * z2
            else:
                radius = math.sqrt(T * 2.0 * _call2(fn[_GAMMAINCINV], (3 + gamma) / 2, a1))
                nz = _norm3(z0, z1, z2)
                v0, v1, v2 = radius * (z0 / nz), radius * (z1 / nz), radius * (z2 / nz)
            d0, d1, d2 = m[0] - v0 * scale, m[1] - v1 * scale, m[2] - v2 * scale
            rel = _norm3(d0, d1, d2)
            rel_g = rel**gamma if e == 0 else math.exp(gamma * (math.log(rel) + e * _LN2))
            vg = _norm3(v0, v1, v2) ** gamma
            if a2 * (wg + vg) < rel_g:
                u0, u1, u2 = d0, d1, d2
                break
    norm = _norm3(u0, u1, u2)
    if norm == 0.0:
        norm = 1.0
    n0, n1, n2 = u0 / norm, u1 / norm, u2 / norm
    if scattering_cm:
        z0, z1, z2 = _normals3(ks, pid, ctr, buf)
        zn = z0 * n0 + z1 * n1 + z2 * n2
        p0, p1, p2 = z0 - zn * n0, z1 - zn * n1, z2 - zn * n2
        pn = _norm3(p0, p1, p2)
        p0, p1, p2 = p0 / pn, p1 / pn, p2 / pn
        mu = math.sqrt(_draw(ks, pid, ctr, buf))
        st = math.sqrt(1.0 - mu * mu)
        o0, o1, o2 = mu * n0 + st * p0, mu * n1 + st * p1, mu * n2 + st * p2
    else:
        v0, v1, s = _disc(ks, pid, ctr, buf)  # Marsaglia (1972), as jumps.sample_direction
        r = 2.0 * math.sqrt(1.0 - s)
        o0, o1, o2 = v0 * r, v1 * r, 1.0 - 2.0 * s
    dot = u0 * o0 + u1 * o1 + u2 * o2
    m[0] = m[0] - dot * o0
    m[1] = m[1] - dot * o1
    m[2] = m[2] - dot * o2
    return e


# --- the engine -----------------------------------------------------------------------------------


@_jit(allocates=True)
def _grow(buf, n):
    new = np.empty((2 * buf.shape[0] + 16, buf.shape[1]), dtype=buf.dtype)
    new[:n] = buf[:n]
    return new


@_jit
def _record(log_abs, sign, i, k, w1, w2, w3, e):
    for j, x in enumerate((w1, w2, w3)):
        log_abs[i, k, j] = _log_abs(x, e)
        sign[i, k, j] = 1 if x > 0 else (-1 if x < 0 else 0)


@_jit(allocates=True)
def run_particles(
    params, pc, table, step, fn, ks, particle, w0, thermal, t_obs, record, max_coll, absorb_below
):
    r"""Simulate every particle of a batch to ``t_obs[-1]`` (see the module docstring).

    Parameters
    ----------
    params : float64 array
        ``kind, scattering_cm, gamma, K, T, c0, prefactor, mean_v_g, h_inf, h_switch``.
    pc : float64 array
        Constants of the partner sampler for γ < 0: ``A, B, c1, log_c2_base, max(A - 1, 0)``.
    table, step : the exact-rate table of ``flights._rate_table`` and its arsinh spacing.
    fn : int64 array, addresses of :func:`special_addresses`.
    ks : int64 array (3,), Threefry key schedule ``k0, k1, parity ^ k0 ^ k1``.
    particle : int64 array (n,), global particle indices.
    w0 : float64 array (n, 3), initial velocities (ignored when ``thermal``).
    t_obs : float64 array (m,), output times.
    record : bool, also return one row per collision.
    max_coll : int, collisions after which a particle stops (counted as absorbed).
    absorb_below : float, δ-model speed below which a particle is absorbed.

    Returns
    -------
    log_abs (n, m, 3), sign (n, m, 3) int8, n_coll_at (n, m), absorbed (n,), n_coll (n,),
    proposals (n,), events float64 (k, 6) and event ids int64 (k, 5) (empty unless ``record``).
    """
    kind = int(params[0])
    scattering_cm = params[1] != 0.0
    gamma, K, T, c0 = params[2], params[3], params[4], params[5]
    prefactor, mean_v_g, h_inf, h_switch = params[6], params[7], params[8], params[9]
    a = -gamma
    maxwellian = kind == KIND_CONSTANT or kind == KIND_THINNING
    projected = maxwellian and gamma <= 0.0 and not scattering_cm  # jumps.projected_partner
    n = particle.size
    nt = t_obs.size
    t_end = t_obs[nt - 1]
    log_abs = np.full((n, nt, 3), np.nan)
    sign = np.zeros((n, nt, 3), dtype=np.int8)
    n_coll_at = np.zeros((n, nt), dtype=np.int64)
    absorbed = np.zeros(n, dtype=np.bool_)
    n_coll = np.zeros(n, dtype=np.int64)
    proposals = np.zeros(n, dtype=np.int64)
    ev_f = np.empty((16 if record else 0, 6))
    ev_i = np.empty((16 if record else 0, 5), dtype=np.int64)
    n_ev = 0
    ctr = np.zeros(2, dtype=np.int64)
    buf = np.empty(BLOCK)
    spare = np.empty(1)
    m = np.empty(3)
    sqrt_t = math.sqrt(T)
    for i in range(n):
        pid = particle[i]
        ctr[0] = 0
        ctr[1] = BLOCK  # buffer empty
        spare[0] = np.nan  # no spare normal
        if thermal:
            z0, z1, z2 = _normals3(ks, pid, ctr, buf)
            m[0], m[1], m[2] = sqrt_t * z0, sqrt_t * z1, sqrt_t * z2
        else:
            m[0], m[1], m[2] = w0[i, 0], w0[i, 1], w0[i, 2]
        e = _renormalise(m, 0)
        t = 0.0
        k = 0
        nc = 0
        while True:
            if kind == KIND_CONSTANT or kind == KIND_BGK:
                s = -math.log(_draw(ks, pid, ctr, buf)) / c0
            elif kind == KIND_DELTA:
                E = -math.log(_draw(ks, pid, ctr, buf))
                s = _delta_next(m, e, E, a, K, c0, h_inf, h_switch, fn)
            else:
                s, p = _thinned(
                    m,
                    e,
                    t_end - t,
                    kind,
                    gamma,
                    K,
                    T,
                    c0,
                    prefactor,
                    table,
                    step,
                    fn,
                    ks,
                    pid,
                    ctr,
                    buf,
                )
                proposals[i] += p
            t_next = t + s
            while k < nt and t_obs[k] <= t_next:  # exact flight interpolation
                _record(log_abs, sign, i, k, m[0] - K * m[1] * (t_obs[k] - t), m[1], m[2], e)
                n_coll_at[i, k] = nc
                k += 1
            if not t_next <= t_end:
                break
            m[0] = m[0] - K * m[1] * s
            t = t_next
            if record:
                if n_ev == ev_f.shape[0]:
                    ev_f = _grow(ev_f, n_ev)
                    ev_i = _grow(ev_i, n_ev)
                ev_f[n_ev, 0] = math.log(t)
                ev_f[n_ev, 1] = math.log(_norm3(m[0], m[1], m[2])) + e * _LN2
                ev_f[n_ev, 2] = _log_abs(m[0], e)
            e = _renormalise(m, e)
            if projected:
                e = _collide_projected(m, e, gamma, T, pc, ks, pid, ctr, buf, spare)
            else:
                e = _scatter(
                    m, e, kind, scattering_cm, gamma, T, mean_v_g, pc, fn, ks, pid, ctr, buf
                )
            e = _renormalise(m, e)
            nc += 1
            if record:
                ev_i[n_ev, 0] = particle[i]
                ev_i[n_ev, 1] = nc
                for j in range(3):
                    ev_f[n_ev, 3 + j] = _log_abs(m[j], e)
                    ev_i[n_ev, 2 + j] = 1 if m[j] > 0 else (-1 if m[j] < 0 else 0)
                n_ev += 1
            stop = nc >= max_coll
            if kind == KIND_DELTA and e == 0:
                stop = stop or _norm3(m[0], m[1], m[2]) < absorb_below
            if stop:
                absorbed[i] = True
                break
        n_coll[i] = nc
    return log_abs, sign, n_coll_at, absorbed, n_coll, proposals, ev_f[:n_ev], ev_i[:n_ev]


def key_schedule(key: NDArray[np.uint32]) -> NDArray[np.int64]:
    """Threefry key schedule ``(k0, k1, 0x1BD11BDA ^ k0 ^ k1)`` (32-bit words as int64)."""
    k0, k1 = int(key[0]), int(key[1])
    return np.array([k0, k1, 0x1BD11BDA ^ k0 ^ k1], dtype=np.int64)


def model_constants(model) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray, float]:
    """``params``, ``pc``, rate table and its step for :func:`run_particles` (see there)."""
    from scipy.special import gamma as gamma_fn

    from powertail.shear.flights import ASYMPTOTIC_SWITCH, _rate_table, h_function, h_infinity

    g, T = model.gamma, model.temperature
    if model.background == "bgk":
        kind = KIND_BGK
    elif model.background == "delta":
        kind = KIND_DELTA
    elif g == 0.0:
        kind = KIND_CONSTANT
    else:
        kind = KIND_THINNING
    a = -g
    h_inf = h_switch = 0.0
    if kind == KIND_DELTA and a != 1.0:
        h_inf = h_infinity(a)
        h_switch = float(h_function(np.asarray([ASYMPTOTIC_SWITCH]), a)[0])
    thermal_moment = T ** (g / 2) * 2 ** (g / 2) * gamma_fn((3 + g) / 2) / gamma_fn(1.5)
    params = np.array(
        [
            kind,
            1.0 if model.scattering == "isotropic-cm" else 0.0,
            g,
            model.shear,
            T,
            model.c0,
            model.c0 * thermal_moment,  # prefactor of collision_rate
            thermal_moment,  # E|sqrt(T) Z|^gamma
            h_inf,
            h_switch,
        ],
        dtype=np.float64,
    )
    pc = np.zeros(5)
    if g < 0:
        A, B = -g / 2.0, (g + 3.0) / 2.0
        c1, log_c2 = max(1.0, 2.0 ** (1.0 - B)), math.log(max(1.0, 2.0 ** (1.0 - A)))
        pc[:] = (A, B, c1, log_c2, max(A - 1.0, 0.0))
    if kind == KIND_THINNING:
        table, step = _rate_table(model)
    else:
        table, step = np.zeros(2), 1.0
    return params, pc, table, step
