import { readFileSync } from 'node:fs';

/** What a shared ledger shows about mutual exclusion. */
export interface LedgerVerdict {
  acquisitions: number;
  /** Acquisitions recorded while another holder had not yet recorded its release. */
  overlaps: string[];
  /** Acquisitions whose token was not greater than the one before. */
  nonIncreasingTokens: string[];
}

/**
 * Checks a ledger of `acquire <token> <owner>` / `release <token> <owner>` lines, appended by
 * workers in many processes (O_APPEND keeps them in the order they happened): a holder writes
 * `acquire` after `acquire()` returns and `release` before it calls `release()`, so with a correct
 * lock the lines alternate, and tokens grow.
 */
export function checkLedger(path: string): LedgerVerdict {
  const verdict: LedgerVerdict = { acquisitions: 0, overlaps: [], nonIncreasingTokens: [] };
  let holder: string | null = null;
  let lastToken = -1;
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .forEach((line, index) => {
      const [kind, tokenText, owner] = line.split(' ');
      const token = Number(tokenText);
      if (kind === 'acquire') {
        verdict.acquisitions++;
        if (holder !== null) verdict.overlaps.push(`line ${index + 1}: ${owner} while ${holder} held`);
        if (!(token > lastToken)) verdict.nonIncreasingTokens.push(`line ${index + 1}: ${token} after ${lastToken}`);
        holder = owner;
        lastToken = Math.max(lastToken, token);
      } else if (kind === 'release' && holder === owner) {
        holder = null;
      }
    });
  return verdict;
}
