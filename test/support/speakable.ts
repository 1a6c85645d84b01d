/** What a message read aloud to a caller must never contain. */

/** The validator's own wording (zod issue messages). */
export const VALIDATOR_WORDS = /expected|too small|too big|invalid input|invalid option|invalid string|invalid email|invalid type|unrecognized key|received|>=|<=|nan\b/i;

/** Machine text: ISO dates, UTC, E.164 numbers, ids, codes, tool or argument names, markup. */
export const MACHINE_TEXT = /\d{4}-\d{2}-\d{2}|\bUTC\b|\+\d{6,}|\bapt_|\b[A-Z]{2,}_[A-Z_]+\b|\b[a-z]+_[a-z_]+\b|[{}<>\n]/;

/** Speaking about the caller instead of to them. */
export const THIRD_PERSON = /\bthe caller\b|\bthe customer\b|\bask them\b|\bask the\b/i;
