import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { createServer, type PluginOption, type ViteDevServer } from 'vite';

/** Debian's Chromium; CI installs it with apt-get (never a downloaded browser). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags that keep headless Chromium off the (closed) network and quiet as root. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A running Vite dev server over the repository plus a headless Chromium with a persistent profile. */
export interface BrowserHarness {
  readonly baseUrl: string;
  readonly context: BrowserContext;
  readonly consoleErrors: string[];
  /** Opens a new page (tab) and records its console errors. */
  newPage(): Promise<Page>;
  /** Closes the browser (keeping the profile) and opens it again, as after a closed tab. */
  restartBrowser(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts Vite on a free loopback port and Chromium with an empty profile directory; `plugins` are
 * added to the repository's Vite config (e.g. a test's own middleware on the same origin).
 */
export async function startBrowserHarness(
  options: { readonly plugins?: PluginOption[] } = {},
): Promise<BrowserHarness> {
  requireChromium();
  const server: ViteDevServer = await createServer({
    configFile: join(process.cwd(), 'vite.config.ts'),
    ...(options.plugins !== undefined ? { plugins: options.plugins } : {}),
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
    logLevel: 'error',
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (address === null || address === undefined || typeof address === 'string') {
    throw new Error('Vite did not report a TCP address');
  }
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const profile = await mkdtemp(join(tmpdir(), 'hearth-chromium-'));
  const consoleErrors: string[] = [];
  let context = await launch(profile);
  const harness: BrowserHarness = {
    baseUrl,
    get context() {
      return context;
    },
    consoleErrors,
    newPage: () => openPage(context, consoleErrors),
    async restartBrowser() {
      await context.close();
      context = await launch(profile);
    },
    async close() {
      await context.close();
      await server.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
  return harness;
}

function requireChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: install it with 'apt-get install -y chromium' (.ci/run does this).`,
    );
  }
}

/** Opens a tab whose console errors and uncaught exceptions are collected into `consoleErrors`. */
async function openPage(context: BrowserContext, consoleErrors: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(String(err)));
  return page;
}

async function launch(profile: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
  });
}

export type { Browser, Page };

/** Headless Chromium alone (no dev server), for pages served elsewhere (e.g. the built demo). */
export interface ChromiumSession {
  readonly context: BrowserContext;
  readonly consoleErrors: string[];
  /** Opens a new page (tab) and records its console errors. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Starts Chromium with an empty persistent profile (IndexedDB, Cache Storage, service workers). */
export async function startChromium(): Promise<ChromiumSession> {
  requireChromium();
  const profile = await mkdtemp(join(tmpdir(), 'hearth-chromium-'));
  const context = await launch(profile);
  const consoleErrors: string[] = [];
  return {
    context,
    consoleErrors,
    newPage: () => openPage(context, consoleErrors),
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
