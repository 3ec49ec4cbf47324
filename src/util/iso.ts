/**
 * `iso(ms)` for templates: the same string as `new Date(ms).toISOString()`, made cheaply, since a
 * record often gets two (when it was made, when it expires) and a world may be seeded with 100,000.
 *
 * - The last few instants are remembered with their strings: records made in the same millisecond
 *   (every record a scenario seeds, a burst of creates) share one string rather than each holding
 *   a copy.
 * - Other instants from 1970 to 9999 are formatted by arithmetic, about five times faster than a
 *   Date; anything else goes through a Date.
 *
 * @example
 * isoString(0) // '1970-01-01T00:00:00.000Z'
 */
const REMEMBERED = 8
const instants = new Float64Array(REMEMBERED).fill(NaN)
const strings: string[] = new Array<string>(REMEMBERED).fill('')
let next = 0

/** 10000-01-01T00:00:00.000Z: from here on a Date writes six-digit years. */
const YEAR_10000 = 253_402_300_800_000
const DAY = 86_400_000

/** Throws RangeError, as a Date does, for instants beyond its range. */
export function isoString(ms: number): string {
  for (let i = 0; i < REMEMBERED; i++) if (instants[i] === ms) return strings[i]!
  const s = ms >= 0 && ms < YEAR_10000 ? format(Math.trunc(ms)) : new Date(ms).toISOString()
  instants[next] = ms
  strings[next] = s
  next = (next + 1) % REMEMBERED
  return s
}

/** A time value from 1970 to 9999 (whole milliseconds), written as toISOString writes it. */
function format(ms: number): string {
  const days = Math.floor(ms / DAY)
  let rest = ms - days * DAY
  // Days since 1970 to a civil date (Howard Hinnant's days_from_civil, inverted), counting years
  // from March so that a leap day falls at the end of one.
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const dayOfEra = z - era * 146_097
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365)
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const shifted = Math.floor((5 * dayOfYear + 2) / 153)
  const day = dayOfYear - Math.floor((153 * shifted + 2) / 5) + 1
  const month = shifted < 10 ? shifted + 3 : shifted - 9
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
  const hour = Math.floor(rest / 3_600_000)
  rest -= hour * 3_600_000
  const minute = Math.floor(rest / 60_000)
  rest -= minute * 60_000
  const second = Math.floor(rest / 1000)
  const milli = rest - second * 1000
  // One flat string of char codes (48 is '0'), rather than a string glued together from pieces.
  return String.fromCharCode(
    48 + Math.floor(year / 1000), 48 + (Math.floor(year / 100) % 10), 48 + (Math.floor(year / 10) % 10), 48 + (year % 10), 45,
    48 + Math.floor(month / 10), 48 + (month % 10), 45, 48 + Math.floor(day / 10), 48 + (day % 10), 84,
    48 + Math.floor(hour / 10), 48 + (hour % 10), 58, 48 + Math.floor(minute / 10), 48 + (minute % 10), 58,
    48 + Math.floor(second / 10), 48 + (second % 10), 46,
    48 + Math.floor(milli / 100), 48 + (Math.floor(milli / 10) % 10), 48 + (milli % 10), 90,
  )
}
