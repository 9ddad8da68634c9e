/**
 * Basic sequential composition of pure ε-LDP releases: the total privacy loss of k reports is
 * the sum of their ε (Dwork & Roth 2014, Thm 3.14; for the local model, Kasiviswanathan et al.
 * 2011, "What Can We Learn Privately?", SIAM J. Comput.).
 */
import { assertEpsilon } from './errors.ts';

/** Sum of the ε of each pure-DP release (0 for none). */
export function composePure(epsilons: readonly number[]): number {
  let total = 0;
  for (const e of epsilons) {
    assertEpsilon(e);
    total += e;
  }
  return total;
}

/** ε of binary randomized response that reports the truth with probability p (Warner 1965). */
export function randomizedResponseEpsilon(truthProbability: number): number {
  return Math.log(truthProbability / (1 - truthProbability));
}
