/**
 * Virus scanning of uploads with clamd, on the stream (see infra/clamd-client.ts).
 *
 * Modes (VIRUS_SCAN): `required` and any explicitly configured clamd (CLAMD_SOCKET or CLAMD_HOST)
 * fail closed: clamd unreachable → 503 SCANNER_UNAVAILABLE, nothing stored. `auto` with no
 * configuration uses Debian's clamd socket when it answers, and otherwise records the document
 * as `not_scanned` (shown in every view). `off` never scans.
 */
import type { VirusScanSettings } from '../../config';
import { ClamdInfectedError, ClamdScanStream, ClamdStreamError, ClamdUnavailableError, clamdVersion, type ClamdVersion } from '../../infra/clamd-client';
import { AppError, PayloadTooLargeError, ServiceUnavailableError, UnprocessableError } from '../../errors';

export type ScanOutcome = { status: 'clean'; engine: string; signatures: string } | { status: 'not_scanned' };

/** An infected file: 422 VIRUS_FOUND naming the signature. */
export class VirusFoundError extends UnprocessableError {
  constructor(readonly signature: string) {
    super(`The file is infected (${signature}) and was not stored. Clean the file or scan your computer, then upload it again.`, 'VIRUS_FOUND', { signature });
  }
}

export function scannerUnavailable(detail: string): ServiceUnavailableError {
  return new ServiceUnavailableError(`The virus scanner is unavailable (${detail}); uploads are refused until it is back. Retry later.`, 'SCANNER_UNAVAILABLE');
}

export interface Scan {
  /** Put this in the upload pipeline. */
  stream: ClamdScanStream;
  /** After the pipeline ended: clean, or throws VirusFoundError. */
  outcome(): Promise<ScanOutcome>;
}

/** Maps a clamd failure during a scan to the error the client gets. */
export function scanFailure(err: unknown): AppError | undefined {
  if (err instanceof ClamdInfectedError) return new VirusFoundError(err.signature);
  if (err instanceof ClamdUnavailableError) return scannerUnavailable(err.message);
  if (err instanceof ClamdStreamError) {
    if (/size limit/i.test(err.reply)) {
      return new PayloadTooLargeError('The file is larger than the virus scanner accepts (clamd StreamMaxLength); it was not stored.', { scanner: err.reply });
    }
    return scannerUnavailable(err.reply);
  }
  return undefined;
}

export function createVirusScanner(settings: VirusScanSettings) {
  const failClosed = settings.mode === 'required' || (settings.mode === 'auto' && settings.explicit);

  /** A scan for one upload, or undefined when this upload is not scanned. */
  async function begin(): Promise<Scan | undefined> {
    if (settings.mode === 'off') return undefined;
    let version: ClamdVersion;
    try {
      version = await clamdVersion(settings.target, Math.min(settings.timeoutMs, 5_000));
    } catch (err) {
      if (failClosed) throw scannerUnavailable((err as Error).message);
      return undefined; // auto, nothing configured, no clamd here: not scanned
    }
    const stream = new ClamdScanStream(settings.target, settings.timeoutMs);
    return {
      stream,
      async outcome() {
        const verdict = await stream.verdict;
        if (verdict.infected) throw new VirusFoundError(verdict.signature);
        return { status: 'clean', engine: version.engine, signatures: version.signatures };
      },
    };
  }

  /** For readiness and the README: what scanning does in this configuration. */
  function describe(): string {
    if (settings.mode === 'off') return 'off';
    const where = 'socket' in settings.target ? settings.target.socket : `${settings.target.host}:${settings.target.port}`;
    return `${failClosed ? 'required' : 'when available'} (clamd at ${where})`;
  }

  return { begin, describe, failClosed };
}
export type VirusScanner = ReturnType<typeof createVirusScanner>;
