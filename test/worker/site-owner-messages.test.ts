/**
 * What the engine worker tells a site owner in the browser: optional models are asked for only
 * when the models index lists them (no 404 in the console), and a broken deployment's message
 * names the URL and the deployment fix, never a command-line tool.
 */
import { describe, expect, it } from 'vitest';
import { browserModelFix } from '../../src/encoder/errors.ts';
import { httpModelFiles } from '../../src/encoder/files-http.ts';
import { createEncoder } from '../../src/encoder/index.ts';
import { modelsIndex } from '../../src/models/models-index.ts';
import { WIDGET_MESSAGES } from '../../src/widget/errors.ts';
import { fetchCollabModels, fetchDeployedModels } from '../../src/worker/collab-loader.ts';
import { fetchRanker } from '../../src/worker/ranker-loader.ts';

const MODELS = 'https://shop.example/vendor/models/';

/** A fetch that answers from `files` (by URL) and records every URL asked for. */
function recordingFetch(files: Record<string, string> = {}) {
  const asked: string[] = [];
  const fetch = async (input: string | URL) => {
    const url = String(input);
    asked.push(url);
    const body = files[url];
    return body === undefined
      ? new Response('not found', { status: 404 })
      : new Response(body, { headers: { 'content-type': 'application/json' } });
  };
  return { fetch, asked };
}

/** A command line a visitor's browser cannot run. */
const CLI_ADVICE = /\bnpm\b|\bnpx\b|--model\b|\bhearth (serve|start|embed|eval)\b/;

async function messageOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
}

describe('optional models', () => {
  it('asks for no collab file when the models index does not list collab', async () => {
    // Arrange
    const index = JSON.stringify(modelsIndex(['ranker', 'hearth-encoder-v1']));
    const { fetch, asked } = recordingFetch({ [`${MODELS}index.json`]: index });
    // Act
    const deployed = await fetchDeployedModels(MODELS, fetch);
    const models = await fetchCollabModels({ modelsUrl: MODELS, deployed, fetch });
    // Assert
    expect(deployed).toEqual(['hearth-encoder-v1', 'ranker']);
    expect(models).toEqual({ collab: null, sequence: null });
    expect(asked).toEqual([`${MODELS}index.json`]);
  });
});

describe('messages a browser shows give no command-line advice', () => {
  it('a missing encoder model names the models URL and the attribute to set', async () => {
    // Arrange
    const { fetch } = recordingFetch();
    const files = httpModelFiles(`${MODELS}hearth-encoder-v1/`, fetch, browserModelFix(MODELS));
    // Act
    const message = await messageOf(createEncoder({ files, fetch }));
    // Assert
    expect(message).toBe(
      `Encoder model file 'config.json' is missing in ${MODELS}hearth-encoder-v1/. Serve the build's models/ folder at ${MODELS}, or point the element's models attribute (Hearth.init({ models })) at where it is.`,
    );
  });

  it('a broken ranker or collab manifest says to redeploy, not to rebuild', async () => {
    // Arrange
    const { fetch } = recordingFetch({
      [`${MODELS}ranker/manifest.json`]: '{"version": 1}',
      [`${MODELS}collab/manifest.json`]: '{"file": 3}',
    });
    // Act
    const ranker = await messageOf(fetchRanker({ modelsUrl: MODELS, fetch }));
    const collab = await messageOf(
      fetchCollabModels({ modelsUrl: MODELS, deployed: ['collab'], fetch }),
    );
    // Assert
    expect(ranker).toMatch(/is not a ranker manifest .*; redeploy the models\/ranker\/ folder/);
    expect(collab).toMatch(/is not a collab manifest .*; redeploy the models\/collab\/ folder/);
    for (const message of [ranker, collab]) expect(message).not.toMatch(CLI_ADVICE);
  });

  it('a worker that fails to start names its URL and the models and wasm attributes', () => {
    // Act
    const message = WIDGET_MESSAGES.workerFailed(
      'script error',
      'https://shop.example/assets/engine.worker.js',
    );
    // Assert
    expect(message).toContain('from https://shop.example/assets/engine.worker.js');
    expect(message).toContain('models and wasm attributes (Hearth.init({ models, wasm, worker }))');
    expect(message).not.toMatch(CLI_ADVICE);
  });
});
