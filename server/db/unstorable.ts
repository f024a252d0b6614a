/**
 * PostgreSQL text and jsonb hold neither NUL nor a lone UTF-16 surrogate: a query carrying one
 * fails. In unicode mode a surrogate pair is one code point, so \p{Cs} matches only lone ones.
 */
export const UNSTORABLE_TEXT = /[\0\p{Cs}]/u;
