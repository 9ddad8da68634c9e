/** Message texts for privacy errors, kept as constants so tests and docs can quote them. */
export const PRIVACY_MESSAGES = {
  badEpsilon: (value: number) =>
    `epsilon must be a finite number > 0, got ${value}; pass e.g. { epsilon: 2 }.`,
  badDelta: (value: number) => `delta must be in (0, 1), got ${value}; use e.g. 1e-6.`,
  badNorm: (value: number) => `clip norm C must be a finite number > 0, got ${value}.`,
  badNoise: (value: number) => `noise multiplier z must be finite and >= 0, got ${value}.`,
  badRate: (value: number) => `sampling rate q must be in (0, 1], got ${value}.`,
  emptyDomain: 'the frequency-oracle domain is empty; pass the catalog item ids to estimate.',
  consentOff:
    'sending is disabled until consent is given; call gate.setConsent(true) after the visitor or site enables it.',
  capExceeded: (reason: string) => `privacy budget cap reached (${reason}); nothing was sent.`,
  alreadyReleased: (key: string) =>
    `a release under '${key}' was already made from this device (one per task and window); nothing was sent. Wait for the next window.`,
  badCost: (field: string, value: number) =>
    `privacy cost ${field} must be a finite number >= 0, got ${value}; nothing was recorded or sent. Pass the release's real cost (e.g. { epsilon: 2 }).`,
} as const;

/** An invalid parameter passed to a DP mechanism or the accountant. */
export class PrivacyParameterError extends Error {
  override readonly name = 'PrivacyParameterError';
}

/**
 * A release whose declared cost (ε, δ, ρ or bytes) is not a finite number ≥ 0. Accepting one
 * would poison the ledger's sums (a NaN spend makes every later cap check pass).
 */
export class InvalidCostError extends Error {
  override readonly name = 'InvalidCostError';
  constructor(
    readonly field: string,
    readonly value: number,
  ) {
    super(PRIVACY_MESSAGES.badCost(field, value));
  }
}

/** A send refused because consent is off. */
export class ConsentRequiredError extends Error {
  override readonly name = 'ConsentRequiredError';
  constructor() {
    super(PRIVACY_MESSAGES.consentOff);
  }
}

/** A send refused because the ledger's daily or lifetime cap would be exceeded. */
export class BudgetExceededError extends Error {
  override readonly name = 'BudgetExceededError';
  constructor(readonly reason: string) {
    super(PRIVACY_MESSAGES.capExceeded(reason));
  }
}

/**
 * A send refused because a release was already recorded under its `once` key (one DAP report per
 * task and window): a second report would double the visitor's influence on the aggregate.
 */
export class AlreadyReleasedError extends Error {
  override readonly name = 'AlreadyReleasedError';
  constructor(readonly key: string) {
    super(PRIVACY_MESSAGES.alreadyReleased(key));
  }
}

/** Throws unless epsilon is a finite positive number. */
export function assertEpsilon(epsilon: number): void {
  if (!Number.isFinite(epsilon) || epsilon <= 0) {
    throw new PrivacyParameterError(PRIVACY_MESSAGES.badEpsilon(epsilon));
  }
}

/** Throws unless delta lies strictly between 0 and 1. */
export function assertDelta(delta: number): void {
  if (!(delta > 0 && delta < 1)) throw new PrivacyParameterError(PRIVACY_MESSAGES.badDelta(delta));
}

/** A secure-aggregation task whose parameters this client cannot accept (nothing is sent). */
export class DapTaskError extends Error {
  override readonly name = 'DapTaskError';
}
