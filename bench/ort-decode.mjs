// Times onnxruntime running a decoder with a KV cache step by step, as onnxruntime-genai does:
// one token per step, each step's present fed back as the next step's past.
//
//   node bench/ort-decode.mjs MODEL.onnx --position P --steps N [--threads T] [--batch B]
//
// Starts from a past of P positions (seeded values, all attended), runs one warm-up step, then
// N timed steps (positions P+1 ...) and prints `step_ms median=M min=A max=B`.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const scriptDir = path.dirname(fileURLToPath(import.meta.url));
const ortPath = path.join(scriptDir, '..', 'third_party', 'node', 'node_modules', 'onnxruntime-node');

function parseArgs(argv) {
  const opts = { model: '', position: 16, steps: 32, threads: 1, batch: 1 };
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`option '${arg}' needs a value`);
      return Number(argv[++i]);
    };
    if (arg === '--position') opts.position = value();
    else if (arg === '--steps') opts.steps = value();
    else if (arg === '--threads') opts.threads = value();
    else if (arg === '--batch') opts.batch = value();
    else if (!arg.startsWith('--') && !opts.model) opts.model = arg;
    else throw new Error(`unknown argument '${arg}'`);
  }
  if (!opts.model) throw new Error('no model given');
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const ort = createRequire(import.meta.url)(ortPath);
  ort.env.logLevel = 'fatal';
  const session = await ort.InferenceSession.create(opts.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: opts.threads,
    interOpNumThreads: opts.threads,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 4,
  });
  const b = opts.batch;
  // heads and head_dim from the model's declared past inputs.
  const pastNames = session.inputNames.filter((n) => n.startsWith('past_key_values.'));
  const meta = session.inputMetadata;
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  let past = {};
  for (const name of pastNames) {
    const info = Array.isArray(meta) ? meta.find((m) => m.name === name) : meta[name];
    const shape = info.shape;
    const heads = shape[1], dim = shape[3];
    const data = new Float32Array(b * heads * opts.position * dim).map(random);
    past[name] = new ort.Tensor('float32', data, [b, heads, opts.position, dim]);
  }
  const presentFor = (name) => name.replace('past_key_values.', 'present.');
  let position = opts.position;
  const step = async () => {
    const feeds = {
      input_ids: new ort.Tensor('int64', new BigInt64Array(b).fill(65n), [b, 1]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(b * (position + 1)).fill(1n),
                                     [b, position + 1]),
      ...past,
    };
    if (session.inputNames.includes('position_ids'))
      feeds.position_ids = new ort.Tensor('int64', new BigInt64Array(b).fill(BigInt(position)), [b, 1]);
    const out = await session.run(feeds);
    const next = {};
    for (const name of pastNames) next[name] = out[presentFor(name)];
    past = next;
    position += 1;
  };
  await step();
  const times = [];
  for (let i = 0; i < opts.steps; ++i) {
    const start = process.hrtime.bigint();
    await step();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((x, y) => x - y);
  const n = times.length;
  const median = n % 2 ? times[(n - 1) / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
  console.log(`step_ms median=${median.toFixed(4)} min=${times[0].toFixed(4)} max=${times[n - 1].toFixed(4)}`);
}

main().catch((error) => {
  console.error(`ort-decode: error: ${error.message.split('\n')[0]}`);
  process.exit(1);
});
