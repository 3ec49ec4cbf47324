/** Small statistics helpers: exact percentiles of recorded samples, medians, rounding for tables. */

/** The p-th percentiles (0–100) of `samples` by nearest rank; sorts a copy once. */
export function percentiles(samples: ArrayLike<number>, ps: number[]): number[] {
  if (samples.length === 0) return ps.map(() => NaN)
  const sorted = Float64Array.from(samples).sort()
  return ps.map((p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!)
}

export function percentile(samples: ArrayLike<number>, p: number): number {
  return percentiles(samples, [p])[0]!
}

export function median(values: number[]): number {
  return percentile(values, 50)
}

/** Rounds to `digits` significant figures, for results that should not claim more precision than they have. */
export function sig(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value
  return Number(value.toPrecision(digits))
}

/** A growable list of float samples without per-sample allocation. */
export class Samples {
  private data = new Float64Array(1 << 16)
  length = 0

  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2)
      next.set(this.data)
      this.data = next
    }
    this.data[this.length++] = value
  }

  values(): Float64Array {
    return this.data.subarray(0, this.length)
  }
}
