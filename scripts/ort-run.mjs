// Reference runner: runs an ONNX model with onnxruntime-node on CPU, same CLI shape as cleave-run.
//
// Usage: node scripts/ort-run.mjs MODEL.onnx [--input NAME=FILE | --input FILE]... --output-dir DIR
//                                 [--threads T] [--repeat N]
//   FILE is .npy or ONNX TensorProto .pb; unnamed inputs bind to the graph inputs in order.
//   Writes DIR/<output name>.npy, characters outside [A-Za-z0-9_.-] replaced by '_'.
//   --threads T (default 1): intra- and inter-op threads. --repeat N: after a warm-up, runs N
//   times and prints `latency_ms median=M min=A max=B`. Exit 1 with one line on stderr on error.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { readTensor, writeNpy } from './tensor-io.mjs';

const scriptDir = path.dirname(fileURLToPath(import.meta.url));
const ortPath = path.join(scriptDir, '..', 'third_party', 'node', 'node_modules', 'onnxruntime-node');

function usage() {
  return 'usage: ort-run.mjs MODEL.onnx [--input NAME=FILE | --input FILE]... --output-dir DIR ' +
    '[--threads T] [--repeat N]';
}

// Accepts `--opt VALUE` and `--opt=VALUE`, as cleave-run does.
function parseArgs(argv) {
  const opts = { model: null, inputs: [], outputDir: null, threads: 1, repeat: 0 };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value = null;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq >= 0) {
        value = arg.slice(eq + 1);
        arg = arg.slice(0, eq);
      }
      const next = () => {
        if (value !== null) return value;
        if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
        return argv[++i];
      };
      if (arg === '--input') opts.inputs.push(next());
      else if (arg === '--output-dir') opts.outputDir = next();
      else if (arg === '--threads') opts.threads = parsePositive(arg, next());
      else if (arg === '--repeat') opts.repeat = parsePositive(arg, next());
      else if (arg === '--help' || arg === '-h') {
        process.stdout.write(usage() + '\n');
        process.exit(0);
      } else throw new Error(`unknown option ${arg}; ${usage()}`);
    } else if (opts.model === null) {
      opts.model = arg;
    } else {
      throw new Error(`unexpected argument '${arg}'; ${usage()}`);
    }
  }
  if (opts.model === null) throw new Error(`no model given; ${usage()}`);
  if (opts.outputDir === null) throw new Error(`--output-dir is required; ${usage()}`);
  return opts;
}

function parsePositive(name, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} expects a positive integer, got '${text}'`);
  return n;
}

// NAME=FILE: the name is the prefix before whichever '=' leaves a graph input name (names
// may hold '=' or ':'); an argument without such a prefix is an unnamed FILE.
function bindInputs(specs, inputNames) {
  const feedsSpec = new Map();
  let nextPositional = 0;
  for (const spec of specs) {
    let name = null;
    let file = spec;
    for (let eq = spec.indexOf('='); eq >= 0; eq = spec.indexOf('=', eq + 1)) {
      if (inputNames.includes(spec.slice(0, eq))) {
        name = spec.slice(0, eq);
        file = spec.slice(eq + 1);
        break;
      }
    }
    if (name === null) {
      if (spec.includes('=') && !fs.existsSync(spec)) {
        throw new Error(`--input ${spec}: no graph input named '${spec.slice(0, spec.indexOf('='))}' ` +
          `(inputs: ${inputNames.join(', ')})`);
      }
      while (nextPositional < inputNames.length && feedsSpec.has(inputNames[nextPositional])) {
        nextPositional++;
      }
      if (nextPositional >= inputNames.length) {
        throw new Error(`too many inputs: the model has ${inputNames.length} (${inputNames.join(', ')})`);
      }
      name = inputNames[nextPositional++];
    }
    if (feedsSpec.has(name)) throw new Error(`input '${name}' given twice`);
    feedsSpec.set(name, file);
  }
  const missing = inputNames.filter((n) => !feedsSpec.has(n));
  if (missing.length > 0) throw new Error(`missing input(s): ${missing.join(', ')}`);
  return feedsSpec;
}

function sanitize(name) {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function median(sorted) {
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(opts.model)) throw new Error(`${opts.model}: no such file`);
  if (!fs.existsSync(path.join(ortPath, 'package.json'))) {
    throw new Error(`onnxruntime-node not found at ${ortPath} (run scripts/setup.sh)`);
  }
  const ort = createRequire(import.meta.url)(ortPath);
  // onnxruntime logs its own multi-line errors to stderr; the thrown error is reported instead.
  ort.env.logLevel = 'fatal';

  const session = await ort.InferenceSession.create(opts.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: opts.threads,
    interOpNumThreads: opts.threads,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 4,
  });

  const feeds = {};
  for (const [name, file] of bindInputs(opts.inputs, session.inputNames)) {
    const t = readTensor(file);
    feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
  }

  // The first run is also the warm-up of --repeat; its results are the ones written.
  const results = await session.run(feeds);
  fs.mkdirSync(opts.outputDir, { recursive: true });
  for (const name of session.outputNames) {
    const t = results[name];
    writeNpy(path.join(opts.outputDir, sanitize(name) + '.npy'), t.type, t.dims, t.data);
  }

  if (opts.repeat > 0) {
    const times = [];
    for (let i = 0; i < opts.repeat; i++) {
      const start = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    times.sort((a, b) => a - b);
    const f = (x) => x.toFixed(3);
    console.log(`latency_ms median=${f(median(times))} min=${f(times[0])} max=${f(times[times.length - 1])}`);
  }
  await session.release();
}

main().catch((e) => {
  const msg = String(e && e.message ? e.message : e).replace(/\s*\n\s*/g, ' ').trim();
  process.stderr.write(`ort-run: error: ${msg}\n`);
  process.exit(1);
});
