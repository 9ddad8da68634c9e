/**
 * The leader's requests to the helper: bearer-token authenticated, bytes in and out, a DAP
 * problem answer turned into a HelperCallError that says which request failed and why.
 */
import { DAP_MEDIA } from '../../wire/dap/upload.ts';
import type { DapProblemType } from './problem.ts';

/** A fetch (global fetch, or an in-process app's `request` in tests). */
export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/** The helper refused or could not be reached. */
export class HelperCallError extends Error {
  override readonly name = 'HelperCallError';
  constructor(
    message: string,
    /** HTTP status, or null when no answer came. */
    readonly status: number | null,
    /** The DAP problem type of the answer, when it was one. */
    readonly problemType: DapProblemType | null = null,
    readonly detail: string | null = null,
  ) {
    super(message);
  }

  /** True for answers that a retry cannot change (a 4xx problem). */
  get permanent(): boolean {
    return this.status !== null && this.status >= 400 && this.status < 500 && this.status !== 429;
  }
}

/** Options: the helper's DAP base URL (ending in '/'), the peer token and the fetch to use. */
export interface HelperClientOptions {
  readonly url: string;
  readonly token: string;
  readonly fetch?: Fetch;
}

/** Creates the client; `call` resolves with the answer's bytes or throws HelperCallError. */
export function helperClient(options: HelperClientOptions) {
  const base = options.url.endsWith('/') ? options.url : `${options.url}/`;
  const doFetch: Fetch = options.fetch ?? ((url, init) => fetch(url, init));
  return {
    async call(
      method: 'PUT' | 'POST',
      path: string,
      body: Uint8Array | string,
      contentType: string,
    ): Promise<Uint8Array> {
      const url = new URL(path, base).toString();
      let res: Response;
      try {
        res = await doFetch(url, {
          method,
          headers: { authorization: `Bearer ${options.token}`, 'content-type': contentType },
          body: typeof body === 'string' ? body : new Uint8Array(body),
        });
      } catch (error) {
        throw new HelperCallError(
          `${method} ${url} failed: ${error instanceof Error ? error.message : String(error)}`,
          null,
        );
      }
      if (res.ok) return new Uint8Array(await res.arrayBuffer());
      let problemType: DapProblemType | null = null;
      let detail = await res.text();
      if ((res.headers.get('content-type') ?? '').startsWith(DAP_MEDIA.problem)) {
        try {
          const p = JSON.parse(detail) as { type?: string; detail?: string };
          const prefix = 'urn:ietf:params:ppm:dap:error:';
          if (p.type?.startsWith(prefix) === true)
            problemType = p.type.slice(prefix.length) as DapProblemType;
          detail = p.detail ?? detail;
        } catch {
          // Not JSON after all: keep the text as the detail.
        }
      }
      throw new HelperCallError(
        `${method} ${url} answered ${res.status}${problemType ? ` ${problemType}` : ''}: ${detail.slice(0, 500)}`,
        res.status,
        problemType,
        detail,
      );
    },
  };
}

/** The helper client type. */
export type HelperClient = ReturnType<typeof helperClient>;
