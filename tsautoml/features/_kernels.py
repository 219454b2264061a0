"""numba kernels over the grouped layout.

Every kernel takes ``(values, indptr, <scalars>, out)``, fills ``out`` (shaped like
``values``) and returns it. The entry at row ``t`` depends only on ``y[t - lag]`` and
earlier rows of the same series, never on ``y[t]`` or later (``lag >= 1``). NaN inputs
are skipped; a statistic over fewer than ``min_samples`` observed values is NaN. Sums
are accumulated in float64 whatever the input dtype.

The caller allocates ``out`` with NumPy rather than the kernel with numba: NumPy backs
large arrays with huge pages, which halves the cost of first touching the output, and
the caller can pass a column of the final feature matrix so nothing is copied.
"""

from __future__ import annotations

import numpy as np

from tsautoml._numba import jit


@jit
def _longest(indptr):
    longest = 0
    for g in range(indptr.size - 1):
        longest = max(longest, indptr[g + 1] - indptr[g])
    return longest


@jit
def _reciprocals(n):
    """``inv[c] = 1 / c`` (0 for c = 0): multiplications instead of divisions in loops."""
    inv = np.zeros(n + 1)
    for c in range(1, n + 1):
        inv[c] = 1.0 / c
    return inv


@jit
def lag(values, indptr, lag, out):
    for g in range(indptr.size - 1):
        start, end = indptr[g], indptr[g + 1]
        split = min(start + lag, end)
        out[start:split] = np.nan
        out[split:end] = values[start : end - (split - start)]
    return out


@jit
def diff(values, indptr, lag, periods, out):
    """``y[t - lag] - y[t - lag - periods]``."""
    for g in range(indptr.size - 1):
        start, end = indptr[g], indptr[g + 1]
        split = min(start + lag + periods, end)
        out[start:split] = np.nan
        for t in range(split, end):
            out[t] = values[t - lag] - values[t - lag - periods]
    return out


@jit
def rolling_mean(values, indptr, lag, window, min_samples, out):
    inv = _reciprocals(window + 1)
    for g in range(indptr.size - 1):
        start, end = indptr[g], indptr[g + 1]
        n = end - start
        src, dst = values[start:end], out[start:end]
        dst[: min(lag, n)] = np.nan
        m = max(n - lag, 0)  # rows with a window: source rows 0..m-1 end them
        res = dst[lag : lag + m]
        total, count = 0.0, 0
        head = min(window, m)
        for k in range(head):  # the window grows from the series start
            x = src[k]
            total += x if x == x else 0.0
            count += x == x
            res[k] = total * inv[count] if count >= min_samples and count > 0 else np.nan
        new, old, tail = src[head:m], src[: m - head], res[head:]  # views: see _shifted_max
        for k in range(tail.size):
            x, y = new[k], old[k]
            total += (x if x == x else 0.0) - (y if y == y else 0.0)
            count += (x == x) - (y == y)
            tail[k] = total * inv[count] if count >= min_samples and count > 0 else np.nan
    return out


@jit
def rolling_std(values, indptr, lag, window, min_samples, out):
    """Sample standard deviation (ddof=1) by Welford add/remove updates."""
    inv = _reciprocals(window + 1)
    for g in range(indptr.size - 1):
        start, end = indptr[g], indptr[g + 1]
        out[start : min(start + lag, end)] = np.nan
        mean, ssq, count = 0.0, 0.0, 0
        same, previous = 0, np.nan  # run of identical observed values ending at k
        for k in range(start, end - lag):
            x = values[k]
            if x == x:
                count += 1
                delta = x - mean
                mean += delta * inv[count]
                ssq += delta * (x - mean)
                same = same + 1 if x == previous else 1
                previous = x
            if k - window >= start:
                old = values[k - window]
                if old == old:
                    count -= 1
                    if count == 0:
                        mean, ssq = 0.0, 0.0
                    else:
                        delta = old - mean
                        mean -= delta * inv[count]
                        ssq -= delta * (old - mean)
            ok = count >= min_samples and count >= 2
            variance = 0.0 if same >= count else max(ssq, 0.0) * inv[count - 1]  # exact 0, as pandas
            out[k + lag] = np.sqrt(variance) if ok else np.nan
    return out


@jit
def _shifted_max(a, shift, out):
    """``out[i] = max(a[i], a[i - shift])``, or ``a[i]`` for ``i < shift``.

    Loops run over views indexed from 0: indexing ``a[i - shift]`` directly makes numba
    guard against negative indices, which stops LLVM from vectorizing (2.5x slower).
    """
    out[:shift] = a[:shift]
    hi, lo, dst = a[shift:], a[: a.size - shift], out[shift:]
    for i in range(dst.size):
        dst[i] = hi[i] if hi[i] > lo[i] else lo[i]


@jit
def _rolling_extreme(values, indptr, lag, window, min_samples, sign, out):
    """Rolling max of ``sign * values``, times ``sign``, by doubling.

    After passes with shifts 1, 2, 4, ... ``cur[i]`` is the max of the last ``size``
    values (``size`` the largest power of two <= window); one more pass with shift
    ``window - size`` covers the whole window. Each pass is a vectorized elementwise
    max over one series held in cache. NaNs count as -inf.
    """
    longest = _longest(indptr)
    first, second = np.empty(longest), np.empty(longest)
    observed = np.zeros(longest + 1, dtype=np.int64)  # observed[i]: non-NaN among first i
    for g in range(indptr.size - 1):
        start, end = indptr[g], indptr[g + 1]
        n = end - start
        src, cur, spare = values[start:end], first[:n], second[:n]
        count = 0
        for i in range(n):
            x = sign * src[i]
            count += x == x
            observed[i + 1] = count
            cur[i] = x if x == x else -np.inf
        size = 1
        while size * 2 <= window:
            _shifted_max(cur, size, spare)
            cur, spare = spare, cur
            size *= 2
        if window > size:
            _shifted_max(cur, window - size, spare)
            cur = spare
        dst = out[start:end]
        dst[: min(lag, n)] = np.nan
        m = max(n - lag, 0)
        res = dst[lag : lag + m]
        head = min(window - 1, m)  # windows cut by the series start
        for k in range(head):
            count = observed[k + 1]
            res[k] = sign * cur[k] if count >= min_samples and count > 0 else np.nan
        hi, lo, best, tail = observed[head + 1 : m + 1], observed[: m - head], cur[head:m], res[head:]
        for k in range(tail.size):
            count = hi[k] - lo[k]
            tail[k] = sign * best[k] if count >= min_samples and count > 0 else np.nan
    return out


@jit
def rolling_min(values, indptr, lag, window, min_samples, out):
    return _rolling_extreme(values, indptr, lag, window, min_samples, -1.0, out)


@jit
def rolling_max(values, indptr, lag, window, min_samples, out):
    return _rolling_extreme(values, indptr, lag, window, min_samples, 1.0, out)


@jit
def rolling_quantile(values, indptr, lag, window, min_samples, q, out):
    """Quantile ``q`` with linear interpolation (pandas' default), over a sorted window."""
    buf = np.empty(window, dtype=np.float64)
    for g in range(indptr.size - 1):
        start, end = indptr[g], indptr[g + 1]
        out[start : min(start + lag, end)] = np.nan
        count = 0
        for k in range(start, end - lag):
            if k - window >= start:
                old = values[k - window]
                if old == old:  # remove it from the sorted buffer
                    pos = np.searchsorted(buf[:count], old)
                    buf[pos : count - 1] = buf[pos + 1 : count].copy()
                    count -= 1
            x = values[k]
            if x == x:  # insert it, keeping the buffer sorted
                pos = np.searchsorted(buf[:count], x)
                buf[pos + 1 : count + 1] = buf[pos:count].copy()
                buf[pos] = x
                count += 1
            if count >= min_samples and count > 0:
                rank = q * (count - 1)
                lo = int(np.floor(rank))
                hi = min(lo + 1, count - 1)
                out[k + lag] = buf[lo] + (buf[hi] - buf[lo]) * (rank - lo)
            else:
                out[k + lag] = np.nan
    return out


@jit
def seasonal_rolling_mean(values, indptr, lag, season_length, window, min_samples, out):
    """Mean of ``y[t - lag - i * season_length]`` for ``i < window``."""
    for g in range(indptr.size - 1):
        start, end = indptr[g], indptr[g + 1]
        out[start : min(start + lag, end)] = np.nan
        for t in range(start + lag, end):
            total, count = 0.0, 0
            for i in range(window):
                k = t - lag - i * season_length
                if k < start:
                    break
                if values[k] == values[k]:
                    total += values[k]
                    count += 1
            out[t] = total / count if count >= min_samples and count > 0 else np.nan
    return out


@jit
def expanding_mean(values, indptr, lag, min_samples, out):
    for g in range(indptr.size - 1):
        start, end = indptr[g], indptr[g + 1]
        out[start : min(start + lag, end)] = np.nan
        total, count = 0.0, 0
        for k in range(start, end - lag):
            if values[k] == values[k]:
                total += values[k]
                count += 1
            out[k + lag] = total / count if count >= min_samples and count > 0 else np.nan
    return out


@jit
def expanding_std(values, indptr, lag, min_samples, out):
    for g in range(indptr.size - 1):
        start, end = indptr[g], indptr[g + 1]
        out[start : min(start + lag, end)] = np.nan
        mean, ssq, count = 0.0, 0.0, 0
        same, previous = 0, np.nan
        for k in range(start, end - lag):
            x = values[k]
            if x == x:
                count += 1
                delta = x - mean
                mean += delta / count
                ssq += delta * (x - mean)
                same = same + 1 if x == previous else 1
                previous = x
            ok = count >= min_samples and count >= 2
            variance = 0.0 if same >= count else max(ssq, 0.0) / (count - 1)
            out[k + lag] = np.sqrt(variance) if ok else np.nan
    return out


@jit
def ewm_mean(values, indptr, lag, alpha, min_samples, out):
    """``s = alpha * y + (1 - alpha) * s``, NaNs skipped (pandas ``adjust=False, ignore_na=True``)."""
    for g in range(indptr.size - 1):
        start, end = indptr[g], indptr[g + 1]
        out[start : min(start + lag, end)] = np.nan
        smooth, count = 0.0, 0
        for k in range(start, end - lag):
            x = values[k]
            if x == x:
                smooth = x if count == 0 else alpha * x + (1.0 - alpha) * smooth
                count += 1
            out[k + lag] = smooth if count >= min_samples and count > 0 else np.nan
    return out
